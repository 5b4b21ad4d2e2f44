using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

/// <summary>The reply without its quoted history, for the layouts the widespread clients write.</summary>
public sealed class ReplyTextTests
{
    [Fact]
    public void Gmail_attribution_wrapped_over_two_lines_ends_the_reply()
    {
        var text = """
            Yes, Tuesday works.

            On Sun, Nov 22, 2026 at 10:02 AM Acme Support <support@reply.acme.test>
            wrote:

            > Can we meet on Tuesday?
            >
            """;

        Assert.Equal("Yes, Tuesday works.", ReplyText.Extract(text));
    }

    [Fact]
    public void Apple_Mail_attribution_on_one_line()
    {
        Assert.Equal("Sounds good.", ReplyText.Extract("Sounds good.\n\nOn 22 Nov 2026, at 10:02, Acme <a@acme.test> wrote:\n\n> Hi\n"));
    }

    [Theory]
    [InlineData("Le dim. 22 nov. 2026 à 10:02, Acme <a@acme.test> a écrit :")]
    [InlineData("Am So., 22. Nov. 2026 um 10:02 Uhr schrieb Acme <a@acme.test>:")]
    [InlineData("El dom, 22 nov 2026 a las 10:02, Acme (<a@acme.test>) escribió:")]
    public void Translated_attributions_end_the_reply(string attribution)
    {
        Assert.Equal("Merci", ReplyText.Extract($"Merci\n\n{attribution}\n> Bonjour\n"));
    }

    [Fact]
    public void Outlook_header_block_ends_the_reply()
    {
        var text = """
            Approved.

            Regards
            Ben

            ________________________________
            From: Acme Support <support@reply.acme.test>
            Sent: Sunday, November 22, 2026 10:02 AM
            To: Ben <ben@corp.test>
            Subject: Refund request

            Please approve the refund.
            """;

        Assert.Equal("Approved.\n\nRegards\nBen", ReplyText.Extract(text));
    }

    [Fact]
    public void Outlook_header_block_without_a_rule_ends_the_reply()
    {
        Assert.Equal("Done", ReplyText.Extract("Done\n\nFrom: Acme <a@acme.test>\nDate: Sunday, 22 November 2026\nTo: ben@corp.test\nSubject: x\n\nold"));
    }

    [Fact]
    public void Original_message_rule_ends_the_reply()
    {
        Assert.Equal("See below", ReplyText.Extract("See below\n-----Original Message-----\nFrom: a@acme.test\nold text"));
    }

    [Fact]
    public void Signature_after_the_RFC_3676_delimiter_is_dropped()
    {
        Assert.Equal("Thanks!", ReplyText.Extract("Thanks!\n\n-- \nCarol Buyer\nHead of Purchasing\n"));
    }

    [Fact]
    public void Mobile_sign_off_is_dropped()
    {
        Assert.Equal("On my way", ReplyText.Extract("On my way\n\nSent from my iPhone\n"));
    }

    [Fact]
    public void Interleaved_answers_keep_what_was_written_between_quotes()
    {
        var text = "> Which size?\nMedium.\n\n> Which colour?\nBlue.\n";

        Assert.Equal("Medium.\n\nBlue.", ReplyText.Extract(text));
    }

    [Fact]
    public void A_sentence_that_starts_like_an_attribution_but_is_not_one_is_kept()
    {
        var text = "On Monday I will send the photos.\nThey are large.\nPlease wait.\n";

        Assert.Equal("On Monday I will send the photos.\nThey are large.\nPlease wait.", ReplyText.Extract(text));
    }

    [Fact]
    public void A_From_line_in_the_text_is_not_mistaken_for_a_header_block()
    {
        Assert.Equal("From: the warehouse team\nAll shipped.", ReplyText.Extract("From: the warehouse team\nAll shipped.\n"));
    }

    [Fact]
    public void CRLF_text_is_handled()
    {
        Assert.Equal("Yes\r\nplease".ReplaceLineEndings("\n"), ReplyText.Extract("Yes\r\nplease\r\n\r\nOn Sun, Acme wrote:\r\n> q\r\n"));
    }

    [Fact]
    public void Gmail_HTML_is_cut_at_its_quote_block()
    {
        var html = "<html><head><style>p{color:red}</style></head><body><div dir=\"ltr\">Blue, please.<br>Carol</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Sun, Acme wrote:</div><blockquote>Which colour?</blockquote></div></body></html>";

        Assert.Equal("Blue, please.\nCarol", ReplyText.ExtractFromHtml(html));
    }

    [Fact]
    public void Outlook_HTML_is_cut_at_its_reply_header()
    {
        var html = "<p>Approved&nbsp;&amp; signed.</p><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Acme</div><div>old</div>";

        Assert.Equal("Approved\u00a0& signed.", ReplyText.ExtractFromHtml(html));
    }

    /// <summary>
    /// Bodies built to make a backtracking regex take minutes (the first took 54 s at 88 KB before
    /// the regexes became linear). Not a speed target: a bound far above normal that only a
    /// catastrophic (super-linear) regex would exceed.
    /// </summary>
    [Theory]
    [InlineData("<div class=\"")]
    [InlineData("<style>")]
    [InlineData("<br")]
    [InlineData("<div style=\"")]
    public void Hostile_HTML_is_handled_in_linear_time(string unit)
    {
        var html = string.Concat(Enumerable.Repeat(unit, 10 * 1024 * 1024 / unit.Length));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        ReplyText.ExtractFromHtml(html);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Hostile_text_is_handled_in_linear_time()
    {
        var text = "On " + string.Concat(Enumerable.Repeat("wrote wrote ", 1024 * 1024)) + "\n> x";
        var watch = System.Diagnostics.Stopwatch.StartNew();

        ReplyText.Extract(text);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}
