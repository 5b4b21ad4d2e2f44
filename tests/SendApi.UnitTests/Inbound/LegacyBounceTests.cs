using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

/// <summary>Plain-text bounces with no delivery-status part: read by heuristics, best effort.</summary>
public sealed class LegacyBounceTests
{
    public static TheoryData<string> Reports => [.. Expected.Keys];

    [Theory]
    [MemberData(nameof(Reports))]
    public void A_plain_text_bounce_reads_in_full(string fixture) => ExpectedBounce.AssertRead(fixture, Expected[fixture]);

    [Fact]
    public void Exim_bounce_ignores_addresses_in_the_returned_copy()
    {
        var bounce = Fixtures.Classify("exim-mail-delivery-failed.eml").As<Bounce>();

        // support@shop.example appears only in the returned message's body.
        Assert.DoesNotContain(bounce.Recipients, r => r.FinalRecipient == "support@shop.example");
    }

    [Fact]
    public void Mailbox_full_in_a_plain_text_bounce_is_soft()
    {
        var message = Fixtures.Parse("""
            From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
            To: bounces+01jxq0000000000000000000000-0@mail.shop.example
            Subject: Mail delivery failed: returning message to sender

            A message that you sent could not be delivered to one or more of its
            recipients. The following address(es) failed:

              olga@example.net
                mailbox is full: retry timeout exceeded

            ------ This is a copy of the message, including all the headers. ------

            Message-ID: <01jxq0000000000000000000000@mail.shop.example>
            To: olga@example.net

            Hello
            """);

        var bounce = InboundClassifier.Classify(message, "").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("olga@example.net", recipient.FinalRecipient);
        Assert.Equal(BounceKind.Soft, recipient.Kind);
        Assert.Equal("mailbox full", recipient.Reason);
        Assert.Equal("01jxq0000000000000000000000@mail.shop.example", bounce.OriginalMessageId);
    }

    [Fact]
    public void Basic_smtp_code_without_enhanced_code_is_refined_by_its_words()
    {
        var message = Fixtures.Parse("""
            From: postmaster@old.example.org
            To: bounces+01jxq1111111111111111111111-0@mail.shop.example
            Subject: Returned mail: see transcript for details

            ----- Transcript of session follows -----
            ... while talking to mx.old.example.org.:
            >>> RCPT To:<paul@old.example.org>
            <<< 550 <paul@old.example.org>... User unknown
            """);

        var bounce = InboundClassifier.Classify(message, "").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("paul@old.example.org", recipient.FinalRecipient);
        Assert.Null(recipient.Status);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
        Assert.Equal("mailbox does not exist (550)", recipient.Reason);
    }

    [Fact]
    public void Bounce_naming_no_recipient_still_reports_one_unnamed_failure()
    {
        var message = Fixtures.Parse("""
            From: MAILER-DAEMON@mx.example.net
            To: bounces+01jxq2222222222222222222222-3@mail.shop.example
            Subject: failure notice
            In-Reply-To: <01jxq2222222222222222222222@mail.shop.example>

            Your message could not be delivered. This is a permanent error.
            """);

        var bounce = InboundClassifier.Classify(message, "").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Null(recipient.FinalRecipient);
        Assert.Equal("failed", recipient.Action);
        Assert.Equal(BounceKind.Unknown, recipient.Kind);
        Assert.Equal("01jxq2222222222222222222222@mail.shop.example", bounce.OriginalMessageId);
    }

    [Fact]
    public void Bounce_titled_so_from_a_gateway_with_a_null_sender_is_detected()
    {
        var message = Fixtures.Parse("""
            From: Mail Gateway <gateway@filter.example.com>
            To: bounces+01jxq3333333333333333333333-0@mail.shop.example
            Subject: Undeliverable: Your invoice

            Delivery has failed to these recipients:
            rita@example.com
            550 5.1.2 Host unknown
            """);

        var bounce = InboundClassifier.Classify(message, envelopeSender: "").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("rita@example.com", recipient.FinalRecipient);
        Assert.Equal("5.1.2", recipient.Status);
        Assert.Equal(BounceKind.Hard, recipient.Kind);
    }

    [Fact]
    public void Bounce_like_subject_from_a_person_with_a_real_sender_is_a_reply()
    {
        var message = Fixtures.Parse("""
            From: Sam <sam@example.com>
            To: support@in.shop.example
            Subject: Undeliverable: my parcel

            The courier says the parcel could not be delivered. Code 550 on the slip?
            """);

        Assert.IsType<Reply>(InboundClassifier.Classify(message, envelopeSender: "sam@example.com"));
    }

    [Fact]
    public void Delay_warning_in_plain_text_is_a_soft_bounce()
    {
        var message = Fixtures.Parse("""
            From: MAILER-DAEMON@relay.example.org
            To: bounces+01jxq4444444444444444444444-0@mail.shop.example
            Subject: Warning: could not send message for past 4 hours

            The original message was received at Tue, 3 Jun 2025 10:00:00 GMT
            This is a warning only; delivery to tom@slow.example.org is delayed.
            451 4.4.1 No answer from host. Will keep trying for 5 days.
            """);

        var bounce = InboundClassifier.Classify(message, "").As<Bounce>();

        var recipient = Assert.Single(bounce.Recipients);
        Assert.Equal("tom@slow.example.org", recipient.FinalRecipient);
        Assert.Equal("delayed", recipient.Action);
        Assert.Equal("4.4.1", recipient.Status);
        Assert.Equal(BounceKind.Soft, recipient.Kind);
    }

    /// <summary>What each MTA's plain-text bounce reads as; the comment above a row says what it shows.</summary>
    private static readonly Dictionary<string, Bounce> Expected = new(StringComparer.Ordinal)
    {
        // Exim's "Mail delivery failed": a hard bounce read from the text.
        ["exim-mail-delivery-failed.eml"] = new(
            [new(FinalRecipient: "erin@example.co.uk", OriginalRecipient: null, Action: "failed", Status: "5.1.1",
                DiagnosticCode: "550 5.1.1 <erin@example.co.uk>: Recipient address rejected: User unknown in local recipient table", RemoteMta: "mail.example.co.uk",
                Kind: BounceKind.Hard, Reason: "mailbox does not exist (5.1.1)")],
            IsRfc3464: false,
            new(MessageId: "01jxd4s6u8w0y2a4c6e8g0i2k4@mail.shop.example", ReturnPath: "bounces+01jxd4s6u8w0y2a4c6e8g0i2k4-0@mail.shop.example", To: ["erin@example.co.uk"])),

        // qmail's failure notice: a hard bounce with the quoted message's identifiers.
        ["qmail-failure-notice.eml"] = new(
            [new(FinalRecipient: "jack@example.net", OriginalRecipient: null, Action: "failed", Status: "5.1.1",
                DiagnosticCode: "550 5.1.1 <jack@example.net>... No such user here", RemoteMta: null,
                Kind: BounceKind.Hard, Reason: "mailbox does not exist (5.1.1)")],
            IsRfc3464: false,
            new(MessageId: "01jxg8d0f2h4k6m8p0r2t4v6x8@mail.shop.example", ReturnPath: "bounces+01jxg8d0f2h4k6m8p0r2t4v6x8-0@mail.shop.example", To: ["jack@example.net"])),
    };
}
