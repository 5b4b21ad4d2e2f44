using SendApi.Core.Messages;
using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

/// <summary>RFC 3464 reports, as the RFC's examples and the major receivers write them.</summary>
public sealed class DeliveryStatusNotificationTests
{
    public static TheoryData<string> Reports => [.. Expected.Keys];

    [Theory]
    [MemberData(nameof(Reports))]
    public void A_receivers_report_reads_in_full(string fixture) => ExpectedBounce.AssertRead(fixture, Expected[fixture]);

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

    /// <summary>What each receiver's report reads as; the comment above a row says what it shows.</summary>
    private static readonly Dictionary<string, Bounce> Expected = new(StringComparer.Ordinal)
    {
        // RFC 3464's own example: a hard bounce with the original's identifiers.
        ["rfc3464-simple-failure.eml"] = new(
            [new(FinalRecipient: "louisl@larry.slip.example.edu", OriginalRecipient: "louisl@larry.slip.example.edu", Action: "failed", Status: "5.1.1",
                DiagnosticCode: "smtp; 550 5.1.1 <louisl@larry.slip.example.edu>... User unknown", RemoteMta: "larry.slip.example.edu",
                Kind: BounceKind.Hard, Reason: "mailbox does not exist (5.1.1)")],
            IsRfc3464: true,
            new(MessageId: "01jxa3k9v2m8q4r7t6y5w3e2d1@mail.shop.example", ReturnPath: "bounces+01jxa3k9v2m8q4r7t6y5w3e2d1-0@mail.shop.example", To: ["louisl@larry.slip.example.edu"])),

        // One report, two recipients, each with its own kind. 5.0.0 says only "permanent": the
        // reply's words make it a dead mailbox.
        ["rfc3464-multi-recipient.eml"] = new(
            [
                new(FinalRecipient: "anna@sub.example.net", OriginalRecipient: null, Action: "failed", Status: "5.0.0",
                    DiagnosticCode: "SMTP; 550 Requested action not taken: mailbox unavailable", RemoteMta: "mx1.sub.example.net",
                    Kind: BounceKind.Hard, Reason: "mailbox does not exist (5.0.0)"),
                new(FinalRecipient: "ben@slow.example.org", OriginalRecipient: null, Action: "delayed", Status: "4.0.0",
                    DiagnosticCode: "SMTP; 421 Service not available, closing transmission channel", RemoteMta: "mx.slow.example.org",
                    Kind: BounceKind.Soft, Reason: "delivery delayed, still being retried (4.0.0)"),
            ],
            IsRfc3464: true,
            new(MessageId: "01jxb7c2n4p6r8t0v2x4z6b8d0@mail.shop.example", ReturnPath: "bounces+01jxb7c2n4p6r8t0v2x4z6b8d0-m@mail.shop.example", To: ["anna@sub.example.net", "ben@slow.example.org"])),

        // Postfix's user unknown is a hard bounce despite its Auto-Submitted header; the folded
        // Diagnostic-Code comes back on one line.
        ["postfix-user-unknown.eml"] = new(
            [new(FinalRecipient: "carol@example.org", OriginalRecipient: "carol@example.org", Action: "failed", Status: "5.1.1",
                DiagnosticCode: "smtp; 550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown in virtual mailbox table", RemoteMta: "mailstore.example.org",
                Kind: BounceKind.Hard, Reason: "mailbox does not exist (5.1.1)")],
            IsRfc3464: true,
            new(MessageId: "01jxc0f3h5k7m9p1r3t5v7x9z1@mail.shop.example", ReturnPath: "bounces+01jxc0f3h5k7m9p1r3t5v7x9z1-0@mail.shop.example", To: ["carol@example.org"])),

        // Postfix's delayed-mail warning is a soft bounce, with no Remote-MTA (it never connected).
        ["postfix-delayed.eml"] = new(
            [new(FinalRecipient: "dave@far.example.com", OriginalRecipient: "dave@far.example.com", Action: "delayed", Status: "4.4.1",
                DiagnosticCode: "X-Postfix; connect to mx.far.example.com[203.0.113.9]:25: Connection timed out", RemoteMta: null,
                Kind: BounceKind.Soft, Reason: "delivery delayed, still being retried (4.4.1)")],
            IsRfc3464: true,
            new(MessageId: "01jxc2q8w4e6r8t0y2u4i6o8p0@mail.shop.example", ReturnPath: "bounces+01jxc2q8w4e6r8t0y2u4i6o8p0-0@mail.shop.example", To: ["dave@far.example.com"])),

        // Gmail's user unknown: a hard bounce for that recipient, its multi-line reply joined.
        ["gmail-user-unknown.eml"] = new(
            [new(FinalRecipient: "frank.nobody@gmail.com", OriginalRecipient: null, Action: "failed", Status: "5.1.1",
                DiagnosticCode: "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Check the address for typos or 550-5.1.1 extra spaces. See the help center of the provider for 550 5.1.1 more information. a1si123456wrx.99 - gsmtp",
                RemoteMta: "gmail-smtp-in.l.google.com", Kind: BounceKind.Hard, Reason: "mailbox does not exist (5.1.1)")],
            IsRfc3464: true,
            new(MessageId: "01jxe9k1m3n5p7q9s1u3w5y7a9@mail.shop.example", ReturnPath: "bounces+01jxe9k1m3n5p7q9s1u3w5y7a9-0@mail.shop.example", To: ["frank.nobody@gmail.com"])),

        // Gmail's mailbox full is a soft bounce, though its Action is "failed".
        ["gmail-mailbox-full.eml"] = new(
            [new(FinalRecipient: "grace.full@gmail.com", OriginalRecipient: null, Action: "failed", Status: "5.2.2",
                DiagnosticCode: "smtp; 552-5.2.2 The recipient's inbox is out of storage space. Please direct the recipient to 552 5.2.2 free up space in the mailbox. b2si765432wrx.12 - gsmtp",
                RemoteMta: "gmail-smtp-in.l.google.com", Kind: BounceKind.Soft, Reason: "mailbox full (5.2.2)")],
            IsRfc3464: true,
            new(MessageId: "01jxea0b2c4d6e8f0g2h4j6k8m0@mail.shop.example", ReturnPath: "bounces+01jxea0b2c4d6e8f0g2h4j6k8m0-0@mail.shop.example", To: ["grace.full@gmail.com"])),

        // Exchange's recipient not found is a hard bounce for a null-MX-style code (5.1.10);
        // Exchange writes the Return-Path without brackets.
        ["exchange-recipient-not-found.eml"] = new(
            [new(FinalRecipient: "henry@contoso.example", OriginalRecipient: "henry@contoso.example", Action: "failed", Status: "5.1.10",
                DiagnosticCode: "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", RemoteMta: null,
                Kind: BounceKind.Hard, Reason: "domain accepts no mail (null MX) (5.1.10)")],
            IsRfc3464: true,
            new(MessageId: "01jxf2v4x6z8b0d2f4h6k8m0p2@mail.shop.example", ReturnPath: "bounces+01jxf2v4x6z8b0d2f4h6k8m0p2-0@mail.shop.example", To: ["henry@contoso.example"])),

        // Exchange's policy block is a hard bounce.
        ["exchange-policy-block.eml"] = new(
            [new(FinalRecipient: "ivy@fabrikam.example", OriginalRecipient: "ivy@fabrikam.example", Action: "failed", Status: "5.7.1",
                DiagnosticCode: "smtp;550 5.7.1 Service unavailable; Client host [198.51.100.20] blocked using a reputation list", RemoteMta: "mx.fabrikam.example",
                Kind: BounceKind.Hard, Reason: "rejected by policy (5.7.1)")],
            IsRfc3464: true,
            new(MessageId: "01jxf5a7c9e1g3j5l7n9q1s3u5@mail.shop.example", ReturnPath: "bounces+01jxf5a7c9e1g3j5l7n9q1s3u5-0@mail.shop.example", To: ["ivy@fabrikam.example"])),

        // A global DSN (RFC 6533) with UTF-8 recipients; its Original-Recipient uses \x{…} escapes.
        ["global-dsn-utf8.eml"] = new(
            [new(FinalRecipient: "δοκιμή@例え.example", OriginalRecipient: "δοκιμή@例え.example", Action: "failed", Status: "5.1.1",
                DiagnosticCode: "smtp; 550 5.1.1 User unknown", RemoteMta: "mailstore.example.jp",
                Kind: BounceKind.Hard, Reason: "mailbox does not exist (5.1.1)")],
            IsRfc3464: true,
            new(MessageId: "01jxn3p5r7t9v1x3z5b7d9f1h3@mail.shop.example", ReturnPath: "bounces+01jxn3p5r7t9v1x3z5b7d9f1h3-0@mail.shop.example", To: ["δοκιμή@例え.example"])),
    };
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
