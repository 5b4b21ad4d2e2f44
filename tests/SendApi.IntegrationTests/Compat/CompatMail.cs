using MimeKit;
using SendApi.IntegrationTests.Tracking;

namespace SendApi.IntegrationTests.Compat;

/// <summary>What the compatibility tests check in mail as the MX received it: a template rendered, links tracked, an unsubscribe header.</summary>
internal static class CompatMail
{
    /// <summary>The welcome template (<see cref="SdkRun.CreateTemplateAsync"/>) rendered for <paramref name="name"/>, in every part.</summary>
    public static void AssertWelcome(MimeMessage mime, string name)
    {
        Assert.Equal($"Welcome {name}", mime.Subject);
        Assert.Contains($"<p>Hello {name}, <a href=\"https://acme.test/start\">start here</a></p>", mime.HtmlBody);
        Assert.Equal($"Hello {name}, start at https://acme.test/start", mime.TextBody!.Trim());
    }

    /// <summary>The HTML's links go through SendApi and it has the open pixel; the text keeps its link as written.</summary>
    public static void AssertTracked(MimeMessage mime, string link)
    {
        var links = TrackedMail.Links(mime);
        Assert.NotEmpty(links);
        Assert.All(links, href => Assert.StartsWith($"{SdkRun.TrackingBaseUrl}/c/", href, StringComparison.Ordinal));
        Assert.DoesNotContain(link, mime.HtmlBody, StringComparison.Ordinal);
        Assert.StartsWith($"{SdkRun.TrackingBaseUrl}/o/", TrackedMail.Pixel(mime).ToString(), StringComparison.Ordinal);
        Assert.Contains(link, mime.TextBody, StringComparison.Ordinal);
    }

    /// <summary>A one-click List-Unsubscribe (RFC 8058) to SendApi.</summary>
    public static void AssertUnsubscribe(MimeMessage mime)
    {
        Assert.StartsWith($"{SdkRun.TrackingBaseUrl}/u/", TrackedMail.Unsubscribe(mime).Url.ToString(), StringComparison.Ordinal);
        Assert.Equal("List-Unsubscribe=One-Click", mime.Headers[HeaderId.ListUnsubscribePost]);
    }
}
