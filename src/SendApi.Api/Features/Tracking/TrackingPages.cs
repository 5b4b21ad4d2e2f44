using System.Text.Encodings.Web;

namespace SendApi.Api.Features.Tracking;

/// <summary>The unsubscribe pages: plain HTML, no script, nothing from elsewhere.</summary>
internal static class TrackingPages
{
    /// <summary>Nothing to load, nothing to run; the form may post only back here.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// What a GET shows: a question and a button. A GET never unsubscribes, since link scanners
    /// and previews follow GETs; the button POSTs the RFC 8058 body, as a one-click client does.
    /// </summary>
    public static string Confirm() => Page("Unsubscribe", """
        <h1>Unsubscribe?</h1>
        <p>You will no longer receive these emails at this address.</p>
        <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>
        """);

    public static string Done() => Page("Unsubscribed", """
        <h1>You are unsubscribed</h1>
        <p>You will no longer receive these emails at this address.</p>
        """);

    public static string NotFound() => Page("Link not valid", """
        <h1>This link is not valid</h1>
        <p>It may have been mistyped, or it belongs to a message that is no longer kept. To stop these emails, reply to the sender.</p>
        """);

    private static string Page(string title, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
        <title>{{HtmlEncoder.Default.Encode(title)}}</title>
        <style>body{font:16px/1.5 system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#1d1d1f}button{font:inherit;padding:.5em 1.2em;cursor:pointer}</style>
        </head><body>
        {{body}}
        </body></html>
        """;
}
