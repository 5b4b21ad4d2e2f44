using System.Text.RegularExpressions;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Tracking;

/// <summary>What the tracking tests share: the app's settings, and the links read out of mail as the MX received it.</summary>
internal static partial class TrackedMail
{
    public const string ReturnPathDomain = "bounces.sendapi.test";

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Links to this app's own HTTP listener (chosen now, so that Tracking:BaseUrl can name it), mailto at the return-path domain, fast webhooks.</summary>
    public static void Configure(Dictionary<string, string?> settings)
    {
        var http = $"http://127.0.0.1:{FreePort.Tcp()}";
        settings["urls"] = http;
        settings["Tracking:BaseUrl"] = http;
        settings["Delivery:ReturnPathDomain"] = ReturnPathDomain;
        settings["Webhooks:AllowPrivateNetworks"] = "true";
        settings["Webhooks:PollInterval"] = "50ms";
        settings["Webhooks:SchedulePollingInterval"] = "200ms";
    }

    public static string Unique(string local) => $"{local}-{Guid.NewGuid():N}@example.test";

    /// <summary>Sends <paramref name="message"/>, waits until it is delivered and returns its id and what the MX received for <paramref name="recipient"/>.</summary>
    public static async Task<(string Id, MimeMessage Received)> SendAndReceiveAsync(HttpClient http, DeliveryWorld world, object message, string recipient)
    {
        var id = await http.SendAsync(message);
        await http.WaitForStatusAsync(id, Patience, "delivered");
        var received = Assert.Single(await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(recipient)));
        return (id, received.Parse());
    }

    /// <summary>The https/http URL and the mailto address of a List-Unsubscribe header.</summary>
    public static (Uri Url, string? Mailto) Unsubscribe(MimeMessage message)
    {
        var header = message.Headers[HeaderId.ListUnsubscribe] ?? throw new InvalidOperationException("The message has no List-Unsubscribe header.");
        var entries = AngleBracketed().Matches(header).Select(m => m.Groups[1].Value.Trim()).ToList();
        var url = new Uri(entries.Single(e => e.StartsWith("http", StringComparison.OrdinalIgnoreCase)));
        var mailto = entries.SingleOrDefault(e => e.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))?["mailto:".Length..];
        return (url, mailto);
    }

    /// <summary>The href values of the HTML part, in order.</summary>
    public static IReadOnlyList<string> Links(MimeMessage message) =>
        [.. Href().Matches(message.HtmlBody ?? "").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value))];

    /// <summary>The src of the open pixel.</summary>
    public static Uri Pixel(MimeMessage message) =>
        new(System.Net.WebUtility.HtmlDecode(Assert.Single(Src().Matches(message.HtmlBody ?? "")).Groups[1].Value));

    /// <summary>The token with one character changed: as a recipient (or an attacker) might edit it.</summary>
    public static Uri Tampered(Uri url)
    {
        var text = url.ToString();
        var at = text.Length - 5;
        return new Uri(text[..at] + (text[at] == 'a' ? 'b' : 'a') + text[(at + 1)..]);
    }

    [GeneratedRegex(@"<([^>]*)>", RegexOptions.NonBacktracking)]
    private static partial Regex AngleBracketed();

    [GeneratedRegex(@"<a [^>]*href=""([^""]*)""", RegexOptions.NonBacktracking)]
    private static partial Regex Href();

    [GeneratedRegex(@"<img src=""([^""]*/o/[^""]*)""", RegexOptions.NonBacktracking)]
    private static partial Regex Src();
}
