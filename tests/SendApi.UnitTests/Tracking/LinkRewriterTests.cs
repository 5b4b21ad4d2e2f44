using System.Diagnostics;
using System.Text;
using SendApi.Api.Features.Tracking;

namespace SendApi.UnitTests.Tracking;

public sealed class LinkRewriterTests
{
    private static string Track(string url, int index) => $"https://t.example/c/{index}?{Uri.EscapeDataString(url)}";

    /// <summary>Numbers the links as the rewriter meets them.</summary>
    private static Func<string, string> Tracker()
    {
        var index = 0;
        return url => Track(url, index++);
    }

    [Fact]
    public void Http_and_https_links_are_rewritten_in_order_and_others_are_left_alone()
    {
        var html = """<html><body><a href="https://a.example/x?y=1&amp;z=2">A</a> <a href="mailto:bob@example.test">mail</a> <a href="#top">top</a> <a href="/relative">rel</a> <a href=" HTTP://b.example/ ">B</a> <a href="tel:+123">tel</a> <area href="http://c.example/map"></body></html>""";

        var rewritten = LinkRewriter.Rewrite(html, Tracker(), pixelUrl: null);

        Assert.Contains($"href=\"{Track("https://a.example/x?y=1&z=2", 0).Replace("&", "&amp;", StringComparison.Ordinal)}\"", rewritten, StringComparison.Ordinal);
        Assert.Contains("https://t.example/c/1?", rewritten, StringComparison.Ordinal);
        Assert.Contains("https://t.example/c/2?", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("https://t.example/c/3", rewritten, StringComparison.Ordinal);
        Assert.Contains("href=\"mailto:bob@example.test\"", rewritten, StringComparison.Ordinal);
        Assert.Contains("href=\"#top\"", rewritten, StringComparison.Ordinal);
        Assert.Contains("href=\"/relative\"", rewritten, StringComparison.Ordinal);
        Assert.Contains("href=\"tel:+123\"", rewritten, StringComparison.Ordinal);
        Assert.Contains(">A</a>", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_attributes_and_text_are_kept()
    {
        var html = """<p class="x">Hello &amp; welcome</p><a style="color:red" href="https://a.example/" target="_blank">Go</a>""";

        var rewritten = LinkRewriter.Rewrite(html, Tracker(), pixelUrl: null);

        Assert.Contains("""<p class="x">Hello &amp; welcome</p>""", rewritten, StringComparison.Ordinal);
        Assert.Contains("style=\"color:red\"", rewritten, StringComparison.Ordinal);
        Assert.Contains("target=\"_blank\"", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"https://a.example/\"", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void A_whole_email_document_keeps_its_doctype_head_styles_and_outlook_conditional_comments()
    {
        var html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><style>p { color: #333; } a > b { x: y }</style></head>
            <body><!--[if mso]><table><tr><td><![endif]--><p>Caf&eacute; &lt;3 — ünïcödé</p><br><img src="https://cdn.example/logo.png" alt="Logo"><!--[if mso]></td></tr></table><![endif]--></body></html>
            """;

        var rewritten = LinkRewriter.Rewrite(html, Tracker(), "https://t.example/o/abc");

        Assert.Contains("<!DOCTYPE html>", rewritten, StringComparison.Ordinal);
        Assert.Contains("<style>p { color: #333; } a > b { x: y }</style>", rewritten, StringComparison.Ordinal);
        Assert.Contains("<!--[if mso]><table><tr><td><![endif]-->", rewritten, StringComparison.Ordinal);
        Assert.Contains("<!--[if mso]></td></tr></table><![endif]-->", rewritten, StringComparison.Ordinal);
        Assert.Contains("ünïcödé", rewritten, StringComparison.Ordinal);
        // MimeKit writes void elements closed (<img …/>, <br/>), which every mail client reads as HTML does.
        Assert.Contains("<img src=\"https://cdn.example/logo.png\" alt=\"Logo\"/>", rewritten, StringComparison.Ordinal);
        Assert.Contains("&lt;3", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pixel_goes_before_the_body_end_tag_once()
    {
        var rewritten = LinkRewriter.Rewrite("<html><body><p>Hi</p></body></html></body>", tracked: null, "https://t.example/o/abc");

        var pixel = rewritten.IndexOf("<img src=\"https://t.example/o/abc\"", StringComparison.Ordinal);
        Assert.True(pixel > 0, rewritten);
        Assert.True(pixel < rewritten.IndexOf("</body>", StringComparison.Ordinal), rewritten);
        Assert.Equal(pixel, rewritten.LastIndexOf("<img", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_body_end_tag_the_pixel_is_appended()
    {
        var rewritten = LinkRewriter.Rewrite("<p>Hi", tracked: null, "https://t.example/o/abc");

        Assert.StartsWith("<p>Hi", rewritten, StringComparison.Ordinal);
        Assert.True(rewritten.EndsWith("/>", StringComparison.Ordinal), rewritten);
        Assert.Contains("<img src=\"https://t.example/o/abc\" width=\"1\" height=\"1\"", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_over_the_length_limit_is_left_as_it_is()
    {
        var url = "https://a.example/" + new string('x', LinkRewriter.MaxUrlLength);

        var rewritten = LinkRewriter.Rewrite($"<a href=\"{url}\">x</a>", Tracker(), pixelUrl: null);

        Assert.Contains(url, rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("t.example", rewritten, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<a href=\"", 200_000)]
    [InlineData("<a href=https://x.example/ ", 100_000)]
    [InlineData("<a ", 300_000)]
    [InlineData("<!--<a href='", 200_000)]
    [InlineData("<a b=\"\" ", 200_000)]
    public void Hostile_html_is_rewritten_in_time_proportional_to_its_length(string unit, int repeats)
    {
        var html = new StringBuilder().Insert(0, unit, repeats).ToString();

        var watch = Stopwatch.StartNew();
        LinkRewriter.Rewrite(html, Tracker(), "https://t.example/o/abc");

        // A generous bound: a quadratic pass over megabytes would take minutes.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"{watch.Elapsed} for {html.Length} characters");
    }
}
