using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

public sealed class ComplaintAndReplyTests
{
    [Fact]
    public void Arf_abuse_report_is_a_complaint_about_our_message()
    {
        var complaint = Fixtures.Classify("arf-abuse-report.eml", envelopeSender: "fbl-bounces@feedback.mailprovider.example").As<Complaint>();

        Assert.Equal("abuse", complaint.FeedbackType);
        Assert.Equal("kate@mailprovider.example", complaint.OriginalRecipient);
        Assert.Equal("ExampleMailFBL/2.4", complaint.UserAgent);
        Assert.Equal("shop.example", complaint.ReportedDomain);
        Assert.Equal("198.51.100.20", complaint.SourceIp);
        Assert.Equal("01jxh1e3g5j7l9n1q3s5u7w9y1@mail.shop.example", complaint.OriginalMessageId);
        Assert.Equal("bounces+01jxh1e3g5j7l9n1q3s5u7w9y1-0@mail.shop.example", complaint.Original.ReturnPath);
    }

    [Fact]
    public void Redacted_arf_report_falls_back_to_original_mail_from_for_the_return_path()
    {
        var message = Fixtures.Parse("""
            From: fbl@isp.example
            To: abuse@shop.example
            Subject: complaint
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="b"

            --b
            Content-Type: text/plain

            A complaint.
            --b
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            User-Agent: IspFBL/1
            Version: 1
            Original-Mail-From: <bounces+01jxq5555555555555555555555-2@mail.shop.example>

            --b
            Content-Type: text/rfc822-headers

            From: Acme <news@shop.example>
            To: redacted@isp.example
            Message-ID: <01jxq5555555555555555555555@mail.shop.example>

            --b--
            """);

        var complaint = InboundClassifier.Classify(message).As<Complaint>();

        Assert.Equal("bounces+01jxq5555555555555555555555-2@mail.shop.example", complaint.Original.ReturnPath);
        Assert.Equal("01jxq5555555555555555555555@mail.shop.example", complaint.OriginalMessageId);
        // Without Original-Rcpt-To the quoted To is the best guess, redacted or not.
        Assert.Equal("redacted@isp.example", complaint.OriginalRecipient);
        Assert.Null(complaint.ReportedDomain);
    }

    [Fact]
    public void Out_of_office_reply_mentioning_delivery_is_an_auto_reply_not_a_bounce()
    {
        var report = Fixtures.Classify("out-of-office.eml", envelopeSender: "");

        var autoReply = report.As<AutoReply>();
        Assert.Equal("Auto-Submitted: auto-replied", autoReply.Reason);
    }

    [Fact]
    public void Vacation_reply_without_auto_submitted_is_an_auto_reply_by_its_x_autoreply_header()
    {
        var autoReply = Fixtures.Classify("vacation-x-autoreply.eml").As<AutoReply>();

        Assert.Equal("X-Autoreply: yes", autoReply.Reason);
    }

    [Fact]
    public void Precedence_auto_reply_alone_marks_an_auto_reply()
    {
        var message = Fixtures.Parse("""
            From: uma@example.com
            To: orders@shop.example
            Subject: Re: Your order
            Precedence: auto_reply

            Away until Monday.
            """);

        Assert.Equal("Precedence: auto_reply", InboundClassifier.Classify(message).As<AutoReply>().Reason);
    }

    [Theory]
    [InlineData("Automatic reply: Your order #1")]
    [InlineData("Out of Office: Your order #1")]
    [InlineData("Auto: Your order #1")]
    [InlineData("Autoreply: Your order #1")]
    [InlineData("Abwesenheitsnotiz: Ihre Bestellung")]
    public void Auto_reply_subjects_are_recognised_without_headers(string subject)
    {
        var message = Fixtures.Parse($"""
            From: vera@example.com
            To: orders@shop.example
            Subject: {subject}

            I am away.
            """);

        Assert.IsType<AutoReply>(InboundClassifier.Classify(message, ""));
    }

    [Fact]
    public void Human_reply_is_a_reply()
    {
        var report = Fixtures.Classify("human-reply.eml", envelopeSender: "noah@example.com");

        Assert.IsType<Reply>(report);
    }

    [Fact]
    public void Auto_submitted_no_is_a_person_writing()
    {
        var message = Fixtures.Parse("""
            From: walt@example.com
            To: support@in.shop.example
            Subject: Re: Your order
            Auto-Submitted: no

            Thanks!
            """);

        Assert.IsType<Reply>(InboundClassifier.Classify(message, "walt@example.com"));
    }

    [Fact]
    public void Forwarded_bounce_attached_by_a_person_is_a_reply()
    {
        var message = Fixtures.Parse("""
            From: xena@example.com
            To: support@in.shop.example
            Subject: Fwd: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: text/plain

            Why did this bounce?
            --outer
            Content-Type: message/rfc822

            From: MAILER-DAEMON@mx.example.org
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="inner"

            --inner
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.org

            Final-Recipient: rfc822; yuri@example.org
            Action: failed
            Status: 5.1.1

            --inner--
            --outer--
            """);

        Assert.IsType<Reply>(InboundClassifier.Classify(message, "xena@example.com"));
    }
}
