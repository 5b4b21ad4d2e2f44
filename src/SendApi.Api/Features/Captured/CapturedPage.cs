using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SendApi.Api.Operator;
using SendApi.Core.Capture;

namespace SendApi.Api.Features.Captured;

/// <summary>
/// The captured mail page for browsers, at the API's paths (<see cref="PageOrApiPolicy"/>): the
/// list, one message (headers, text, the HTML in a sandboxed frame, raw source, attachments),
/// and the downloads. Operators only, with the dashboard's login (an admin key over HTTP Basic),
/// so it shows every account's mail. Plain server-rendered HTML: no script, nothing from the
/// network, everything from a message HTML-encoded.
/// </summary>
internal static class CapturedPage
{
    // The page itself runs no script and loads nothing but its own frames; its inline style is the only exception.
    private const string PagePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

    // A message's HTML: its own opaque origin (CSP sandbox, as well as the frame's sandbox attribute),
    // no script, no network (remote images would tell the sender the mail was opened), only our page may frame it.
    private const string MessageHtmlPolicy = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'";

    public static void MapCapturedPage(this IEndpointRouteBuilder app)
    {
        var page = app.MapGroup("/captured")
            .ExcludeFromDescription()
            .WithMetadata(PageOrApiPolicy.Page)
            .AddEndpointFilter(async (context, next) =>
                await DashboardAuthorization.AuthorizeAsync(context.HttpContext)
                    ? await next(context)
                    : Html(CapturedPageHtml.Notice("Sign in", "The captured mail page takes an admin API key as the password (any user name)."), StatusCodes.Status401Unauthorized));

        page.MapGet("/", ListAsync);
        page.MapGet("/{id}", ShowAsync);
        page.MapGet("/{id}/html", HtmlBodyAsync);
        page.MapGet("/{id}/raw", async (string id, ICaptureStore store, HttpResponse response, CancellationToken cancellationToken) =>
            await CapturedApi.RawAsync(store, CaptureScope.Everyone, id, response, cancellationToken) ?? NotFound(id));
        page.MapGet("/{id}/attachments/{index:int}", async (string id, int index, ICaptureStore store, HttpResponse response, CancellationToken cancellationToken) =>
            await CapturedApi.AttachmentAsync(store, CaptureScope.Everyone, id, index, response, cancellationToken) ?? NotFound(id));
    }

    private static async Task<IResult> ListAsync(int? limit, string? cursor, ICaptureStore store, CancellationToken cancellationToken)
    {
        if (PageRequest.Validate(limit, cursor) is { } errors)
        {
            return Html(CapturedPageHtml.Notice("Bad request", string.Join(" ", errors.Select(e => $"{e.Key} {string.Join(" ", e.Value)}"))), StatusCodes.Status400BadRequest);
        }

        var size = limit ?? CapturedApi.DefaultPageSize;
        var list = await store.ListAsync(CaptureScope.Everyone, string.IsNullOrEmpty(cursor) ? null : cursor, size, cancellationToken);
        return Html(CapturedPageHtml.List(list, size, isFirstPage: string.IsNullOrEmpty(cursor)));
    }

    private static async Task<IResult> ShowAsync(string id, ICaptureStore store, CancellationToken cancellationToken) =>
        await CapturedMail.ReadAsync(store, CaptureScope.Everyone, id, cancellationToken) is { } read
            ? Html(CapturedPageHtml.Message(read.Detail, read.Raw))
            : NotFound(id);

    private static async Task<IResult> HtmlBodyAsync(string id, ICaptureStore store, CancellationToken cancellationToken) =>
        await CapturedMail.ReadAsync(store, CaptureScope.Everyone, id, cancellationToken) is { Detail.Html: { } html }
            ? new HtmlResult(html, StatusCodes.Status200OK, MessageHtmlPolicy, frameOptions: "SAMEORIGIN")
            : NotFound(id);

    private static IResult NotFound(string id) =>
        Html(CapturedPageHtml.Notice("Not found", $"No captured message '{id}' (the newest Capture:MaxMessages, up to Capture:MaxBytes, are kept)."), StatusCodes.Status404NotFound);

    private static HtmlResult Html(string html, int status = StatusCodes.Status200OK) => new(html, status, PagePolicy, frameOptions: "DENY");

    /// <summary>
    /// An HTML document with its Content-Security-Policy; never cached, never sniffed, never sent a
    /// referrer. X-Frame-Options repeats the policy's frame-ancestors for browsers that predate it.
    /// </summary>
    private sealed class HtmlResult(string html, int status, string policy, string frameOptions) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "text/html; charset=utf-8";
            response.Headers.ContentSecurityPolicy = policy;
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers.XFrameOptions = frameOptions;
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.Headers.CacheControl = "no-store";
            return response.WriteAsync(html, Encoding.UTF8, httpContext.RequestAborted);
        }
    }
}
