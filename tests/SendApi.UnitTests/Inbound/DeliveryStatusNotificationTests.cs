using SendApi.Core.Messages;
using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

/// <summary>RFC 3464 reports, as the RFC's examples and the major receivers write them.</summary>
public sealed class DeliveryStatusNotificationTests
{
    [Fact]
    public void Rfc3464_simple_failure_is_a_hard_bounce_with_the_original_identifiers()
    {
        var bounce = Fixtures.Classify("rfc3464-simple-failure.eml").As<Bounce>();

        Assert.True(bounce.IsRfc3464);
        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("louisl@larry.slip.example.edu", recipient.FinalRecipient);
        Assert.Equal("louisl@larry.slip.example.edu", recipient.OriginalRecipient);
        Assert.Equal("failed", recipient.Action);
        Assert.Equal("5.1.1", recipient.Status);
        Assert.Equal("smtp; 550 5.1.1 <louisl@larry.slip.example.edu>... User unknown", recipient.DiagnosticCode);
        Assert.Equal("larry.slip.example.edu", recipient.RemoteMta);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
        Assert.Equal("mailbox does not exist (5.1.1)", recipient.Reason);
        Assert.Equal("01jxa3k9v2m8q4r7t6y5w3e2d1@mail.shop.example", bounce.OriginalMessageId);
        Assert.Equal("bounces+01jxa3k9v2m8q4r7t6y5w3e2d1-0@mail.shop.example", bounce.Original.ReturnPath);
        Assert.Equal(["louisl@larry.slip.example.edu"], bounce.Original.To);
    }

    [Fact]
    public void Original_return_path_decodes_to_our_message_and_recipient()
    {
        var bounce = Fixtures.Classify("rfc3464-simple-failure.eml").As<Bounce>();

        Assert.True(ReturnPath.TryDecode(bounce.Original.ReturnPath!, out var decoded));
        Assert.Equal("01jxa3k9v2m8q4r7t6y5w3e2d1", decoded.MessageId);
        Assert.Equal(0, decoded.RecipientIndex);
    }

    [Theory]
    [InlineData("bounces+0123456789abcdef0123456789abcdef:mime-0@mail.shop.example")]
    [InlineData("bounces+-0@mail.shop.example")]
    [InlineData("bounces+a.b-0@mail.shop.example")]
    public void Return_paths_whose_id_is_not_ours_do_not_decode(string address)
    {
        Assert.False(ReturnPath.TryDecode(address, out _));
    }

    [Fact]
    public void Multi_recipient_report_gives_each_recipient_its_own_kind()
    {
        var bounce = Fixtures.Classify("rfc3464-multi-recipient.eml").As<Bounce>();

        Assert.True(bounce.IsRfc3464);
        Assert.Equal(2, bounce.Recipients.Count);

        var failed = bounce.Recipients[0];
        Assert.Equal("anna@sub.example.net", failed.FinalRecipient);
        Assert.Null(failed.OriginalRecipient);
        Assert.Equal("failed", failed.Action);
        Assert.Equal("5.0.0", failed.Status);
        Assert.Equal("mx1.sub.example.net", failed.RemoteMta);
        // 5.0.0 says only "permanent": the reply's words make it a dead mailbox.
        Assert.Equal(BounceKind.Hard, failed.Kind);
        Assert.Equal("mailbox does not exist (5.0.0)", failed.Reason);

        var delayed = bounce.Recipients[1];
        Assert.Equal("ben@slow.example.org", delayed.FinalRecipient);
        Assert.Equal("delayed", delayed.Action);
        Assert.Equal("4.0.0", delayed.Status);
        Assert.Equal(BounceKind.Soft, delayed.Kind);
        Assert.StartsWith("delivery delayed", delayed.Reason);

        Assert.Equal("01jxb7c2n4p6r8t0v2x4z6b8d0@mail.shop.example", bounce.OriginalMessageId);
        Assert.Equal(["anna@sub.example.net", "ben@slow.example.org"], bounce.Original.To);
    }

    [Fact]
    public void Postfix_user_unknown_is_a_hard_bounce_despite_auto_submitted()
    {
        var bounce = Fixtures.Classify("postfix-user-unknown.eml").As<Bounce>();

        Assert.True(bounce.IsRfc3464);
        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("carol@example.org", recipient.FinalRecipient);
        Assert.Equal("carol@example.org", recipient.OriginalRecipient);
        Assert.Equal("5.1.1", recipient.Status);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
        Assert.Equal("mailstore.example.org", recipient.RemoteMta);
        // The folded Diagnostic-Code comes back on one line.
        Assert.Equal("smtp; 550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown in virtual mailbox table", recipient.DiagnosticCode);
        Assert.Equal("01jxc0f3h5k7m9p1r3t5v7x9z1@mail.shop.example", bounce.OriginalMessageId);
        Assert.Equal("bounces+01jxc0f3h5k7m9p1r3t5v7x9z1-0@mail.shop.example", bounce.Original.ReturnPath);
    }

    [Fact]
    public void Postfix_delayed_mail_warning_is_a_soft_bounce()
    {
        var bounce = Fixtures.Classify("postfix-delayed.eml").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("dave@far.example.com", recipient.FinalRecipient);
        Assert.Equal("delayed", recipient.Action);
        Assert.Equal("4.4.1", recipient.Status);
        Assert.Equal(BounceKind.Soft, recipient.Kind);
        Assert.Equal("delivery delayed, still being retried (4.4.1)", recipient.Reason);
        Assert.Null(recipient.RemoteMta);
        Assert.StartsWith("X-Postfix; connect to mx.far.example.com", recipient.DiagnosticCode);
        Assert.Equal("01jxc2q8w4e6r8t0y2u4i6o8p0@mail.shop.example", bounce.OriginalMessageId);
    }

    [Fact]
    public void Gmail_user_unknown_is_a_hard_bounce_for_that_recipient()
    {
        var bounce = Fixtures.Classify("gmail-user-unknown.eml").As<Bounce>();

        Assert.True(bounce.IsRfc3464);
        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("frank.nobody@gmail.com", recipient.FinalRecipient);
        Assert.Equal("5.1.1", recipient.Status);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
        Assert.StartsWith("smtp; 550-5.1.1 The email account that you tried to reach does not exist.", recipient.DiagnosticCode);
        Assert.Equal("gmail-smtp-in.l.google.com", recipient.RemoteMta);
        Assert.Equal("01jxe9k1m3n5p7q9s1u3w5y7a9@mail.shop.example", bounce.OriginalMessageId);
        Assert.Equal(["frank.nobody@gmail.com"], bounce.Original.To);
    }

    [Fact]
    public void Gmail_mailbox_full_is_a_soft_bounce()
    {
        var bounce = Fixtures.Classify("gmail-mailbox-full.eml").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("grace.full@gmail.com", recipient.FinalRecipient);
        Assert.Equal("failed", recipient.Action);
        Assert.Equal("5.2.2", recipient.Status);
        Assert.Equal(BounceKind.Soft, recipient.Kind);
        Assert.Equal("mailbox full (5.2.2)", recipient.Reason);
        Assert.Equal("01jxea0b2c4d6e8f0g2h4j6k8m0@mail.shop.example", bounce.OriginalMessageId);
    }

    [Fact]
    public void Exchange_recipient_not_found_is_a_hard_bounce_for_a_null_mx_style_code()
    {
        var bounce = Fixtures.Classify("exchange-recipient-not-found.eml").As<Bounce>();

        Assert.True(bounce.IsRfc3464);
        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("henry@contoso.example", recipient.FinalRecipient);
        Assert.Equal("henry@contoso.example", recipient.OriginalRecipient);
        Assert.Equal("5.1.10", recipient.Status);
        Assert.Equal("smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", recipient.DiagnosticCode);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
        Assert.Equal("01jxf2v4x6z8b0d2f4h6k8m0p2@mail.shop.example", bounce.OriginalMessageId);
        // Exchange writes the Return-Path without brackets.
        Assert.Equal("bounces+01jxf2v4x6z8b0d2f4h6k8m0p2-0@mail.shop.example", bounce.Original.ReturnPath);
    }

    [Fact]
    public void Exchange_policy_block_is_a_hard_bounce()
    {
        var bounce = Fixtures.Classify("exchange-policy-block.eml").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("ivy@fabrikam.example", recipient.FinalRecipient);
        Assert.Equal("5.7.1", recipient.Status);
        Assert.Equal("mx.fabrikam.example", recipient.RemoteMta);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
        Assert.Equal("rejected by policy (5.7.1)", recipient.Reason);
        Assert.Equal("01jxf5a7c9e1g3j5l7n9q1s3u5@mail.shop.example", bounce.OriginalMessageId);
    }

    [Fact]
    public void Global_delivery_status_reads_utf8_recipients()
    {
        var bounce = Fixtures.Classify("global-dsn-utf8.eml").As<Bounce>();

        Assert.True(bounce.IsRfc3464);
        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("δοκιμή@例え.example", recipient.FinalRecipient);
        // Original-Recipient uses RFC 6533's \x{…} escapes.
        Assert.Equal("δοκιμή@例え.example", recipient.OriginalRecipient);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
        Assert.Equal("01jxn3p5r7t9v1x3z5b7d9f1h3@mail.shop.example", bounce.OriginalMessageId);
        Assert.Equal("bounces+01jxn3p5r7t9v1x3z5b7d9f1h3-0@mail.shop.example", bounce.Original.ReturnPath);
    }
}

public sealed class OriginalMessageIdTests
{
    [Fact]
    public void Dsn_without_a_returned_copy_takes_the_message_id_from_in_reply_to()
    {
        var message = Fixtures.Parse("""
            From: MAILER-DAEMON@mx.example.org
            To: bounces+01jxq6666666666666666666666-0@mail.shop.example
            Subject: Undelivered Mail Returned to Sender
            In-Reply-To: <01jxq6666666666666666666666@mail.shop.example>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="b"

            --b
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.org

            Final-Recipient: rfc822; zoe@example.org
            Action: failed
            Status: 5.2.1 (mailbox disabled)

            --b--
            """);

        var bounce = InboundClassifier.Classify(message).As<Bounce>();

        Assert.Equal("01jxq6666666666666666666666@mail.shop.example", bounce.OriginalMessageId);
        Assert.Null(bounce.Original.ReturnPath);
        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("5.2.1", recipient.Status);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
    }

    [Fact]
    public void Malformed_original_message_id_is_still_surfaced_raw()
    {
        var message = Fixtures.Parse("""
            From: MAILER-DAEMON@mx.example.org
            To: bounces+01jxq7777777777777777777777-0@mail.shop.example
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="b"

            --b
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.org

            Final-Recipient: rfc822; amy@example.org
            Action: failed
            Status: 5.1.1

            --b
            Content-Type: text/rfc822-headers

            Message-ID: <no at sign here>
            To: amy@example.org

            --b--
            """);

        var bounce = InboundClassifier.Classify(message).As<Bounce>();

        Assert.Equal("no at sign here", bounce.OriginalMessageId);
    }
}
