using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using SendApi.Api.Auth;

namespace SendApi.Api.Features.Tracking;

/// <summary>
/// The public links in sent mail, reached by recipients without any key: <c>/u/{token}</c>
/// (unsubscribe: GET shows a page, POST unsubscribes, RFC 8058), <c>/o/{token}</c> (the open
/// pixel) and <c>/c/{token}</c> (a tracked link's redirect). A token that is not ours, tampered
/// with, or of another kind than its route is 404.
/// </summary>
public static class TrackingApi
{
    /// <summary>A transparent 1×1 GIF (GIF89a, one-entry palette, the graphic control extension marking it transparent).</summary>
    private static readonly byte[] Pixel =
    [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
    ];

    public static RouteGroupBuilder MapTrackingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("")
            .WithTags("Unsubscribe and tracking")
            .WithoutAuthentication();

        group.MapGet("/u/{token}", ConfirmAsync)
            .WithName("UnsubscribePage")
            .WithSummary("The unsubscribe page of a List-Unsubscribe link (public)")
            .WithDescription("No API key: this is the link in the mail. Shows a page with a button that POSTs to the same URL; a GET never unsubscribes (link scanners follow GETs). 404 for a link that is not valid (tampered with, or of a message no longer kept): a page for a browser (Accept: text/html), problem+json otherwise.")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/u/{token}", UnsubscribeAsync)
            .WithName("Unsubscribe")
            .WithSummary("One-click unsubscribe (RFC 8058; public)")
            .WithDescription("No API key and no other token: what mailbox providers POST when the recipient clicks Unsubscribe, with the body List-Unsubscribe=One-Click (application/x-www-form-urlencoded or multipart/form-data; the body is not required). Adds the recipient to the sending account's suppression list (reason unsubscribe) and fires message.unsubscribed, once; repeating it changes nothing. Answers a short HTML page. 404 for a link that is not valid (tampered with, or of a message no longer kept): a page for a browser (Accept: text/html), problem+json otherwise.")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/o/{token}", OpenAsync)
            .WithName("OpenPixel")
            .WithSummary("The open-tracking image (public)")
            .WithDescription("No API key: the 1×1 image in a message sent with track_opens. Records an opened event (message.opened) with the User-Agent and IP, first_open on the recipient's first, machine_open when a proxy fetched it (Apple Mail Privacy Protection); answers a transparent GIF. 404 for a token that is not valid.")
            .Produces<byte[]>(StatusCodes.Status200OK, "image/gif")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/c/{token}", ClickAsync)
            .WithName("TrackedLink")
            .WithSummary("A tracked link's redirect (public)")
            .WithDescription("No API key: a link of a message sent with track_clicks. Records a clicked event (message.clicked) with the URL, User-Agent and IP, and redirects (302) to the link's original URL, which the signed token carries: it can go nowhere else. 404 for a token that is not valid.")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> ConfirmAsync(string token, HttpContext context, TrackingSigning signing, CancellationToken cancellationToken)
    {
        Private(context);
        return await DecodeAsync(token, TokenKind.Unsubscribe, signing, cancellationToken) is null
            ? PageNotFound(context)
            : Html(TrackingPages.Confirm(), StatusCodes.Status200OK);
    }

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> UnsubscribeAsync(
        string token, HttpContext context, TrackingSigning signing, EngagementRecorder recorder, CancellationToken cancellationToken)
    {
        Private(context);
        var decoded = await DecodeAsync(token, TokenKind.Unsubscribe, signing, cancellationToken);
        return decoded is not null && await recorder.UnsubscribeAsync(decoded, Visitor.Of(context), "one-click (List-Unsubscribe-Post)", cancellationToken)
            ? Html(TrackingPages.Done(), StatusCodes.Status200OK)
            : PageNotFound(context);
    }

    /// <summary>A page for a browser (it asks for text/html), problem+json for any other client, as every error of the API.</summary>
    private static Results<ContentHttpResult, ProblemHttpResult> PageNotFound(HttpContext context) =>
        context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
            ? Html(TrackingPages.NotFound(), StatusCodes.Status404NotFound)
            : NotFound();

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> OpenAsync(
        string token, HttpContext context, TrackingSigning signing, EngagementRecorder recorder, CancellationToken cancellationToken)
    {
        Private(context);
        if (await DecodeAsync(token, TokenKind.Open, signing, cancellationToken) is not { } decoded)
        {
            return NotFound();
        }

        await recorder.RecordOpenAsync(decoded, Visitor.Of(context), cancellationToken);
        return TypedResults.File(Pixel, "image/gif");
    }

    internal static async Task<Results<RedirectHttpResult, ProblemHttpResult>> ClickAsync(
        string token, HttpContext context, TrackingSigning signing, EngagementRecorder recorder, CancellationToken cancellationToken)
    {
        Private(context);
        if (await DecodeAsync(token, TokenKind.Click, signing, cancellationToken) is not { Url: { } url } decoded
            || !LinkRewriter.IsTrackable(url, out var target))
        {
            return NotFound();
        }

        await recorder.RecordClickAsync(decoded, Visitor.Of(context), cancellationToken);
        return TypedResults.Redirect(target);
    }

    private static async Task<TrackingToken?> DecodeAsync(string token, TokenKind kind, TrackingSigning signing, CancellationToken cancellationToken) =>
        TrackingToken.TryDecode(token, await signing.GetAsync(cancellationToken), out var decoded) && decoded.Kind == kind ? decoded : null;

    /// <summary>Personal links: not cached, not indexed, and the token is not passed on as a Referer.</summary>
    private static void Private(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers["X-Robots-Tag"] = "noindex, nofollow";
        headers.ContentSecurityPolicy = TrackingPages.ContentSecurityPolicy;
    }

    private static ContentHttpResult Html(string html, int status) => TypedResults.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: "This link is not valid.");
}
