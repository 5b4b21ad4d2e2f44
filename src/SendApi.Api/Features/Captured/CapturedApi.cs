using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendApi.Api.Auth;
using SendApi.Api.Http;
using SendApi.Core.Capture;

namespace SendApi.Api.Features.Captured;

/// <summary>
/// <c>/captured</c> for API clients (Bearer key): the mail capture mode kept instead of sending.
/// A key sees its account's captures, an admin key everyone's. Browsers get the page at the same
/// paths (<see cref="CapturedPage"/>, chosen by <see cref="PageOrApiPolicy"/>).
/// </summary>
public static class CapturedApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <summary>The policy that gives a request on a shared path to the page or to the API.</summary>
    public static IServiceCollection AddSendApiCaptured(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, PageOrApiPolicy>());
        return services;
    }

    public static RouteGroupBuilder MapCapturedApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/captured")
            .WithTags("Captured")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/", ListAsync)
            .WithName("ListCaptured")
            .WithSummary("Captured mail (Delivery:Mode=capture), newest first, a page at a time")
            .WithDescription($"One entry per SMTP transaction that would have been sent (a message to two domains is two). ?limit= takes 1-{MaxPageSize} (default {DefaultPageSize}); pass the answer's next_cursor as ?cursor= for the next (older) page. The newest Capture:MaxMessages (default 1000) are kept, up to Capture:MaxBytes (default 256 MiB) in all. Admin keys see every account's.");

        group.MapGet("/{id}", GetAsync)
            .WithName("GetCaptured")
            .WithSummary("One captured message: envelope, headers, text, HTML and attachments, read from the exact bytes")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/raw", GetRawAsync)
            .WithName("GetCapturedRaw")
            .WithSummary("The exact bytes that would have gone over SMTP after DATA, DKIM-Signature included (message/rfc822)")
            .Produces(StatusCodes.Status200OK, contentType: "message/rfc822")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/attachments/{index:int}", GetAttachmentAsync)
            .WithName("GetCapturedAttachment")
            .WithSummary("One attachment's decoded content, by its index in the detail's attachments (always a download)")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/", ClearAsync)
            .WithName("ClearCaptured")
            .WithSummary("Delete the account's captured mail (an admin key: everyone's)");

        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteCaptured")
            .WithSummary("Delete one captured message")
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapCapturedPage();
        return group;
    }

    /// <summary>An admin key sees every account's captures; any other key its account's.</summary>
    internal static CaptureScope CaptureScope(this ClaimsPrincipal user) =>
        user.IsInRole(ApiKeyDefaults.AdminRole) ? Core.Capture.CaptureScope.Everyone : Core.Capture.CaptureScope.Of(user.AccountId());

    internal static async Task<Results<Ok<ListPage<CapturedSummary>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, ClaimsPrincipal user, ICaptureStore store, CancellationToken cancellationToken)
    {
        if (PageRequest.Validate(limit, cursor) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        var page = await store.ListAsync(user.CaptureScope(), string.IsNullOrEmpty(cursor) ? null : cursor, limit ?? DefaultPageSize, cancellationToken);
        return TypedResults.Ok(new ListPage<CapturedSummary>([.. page.Items.Select(CapturedSummary.Of)], page.NextCursor));
    }

    internal static async Task<Results<Ok<CapturedDetail>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, ICaptureStore store, CancellationToken cancellationToken) =>
        await CapturedMail.ReadAsync(store, user.CaptureScope(), id, cancellationToken) is { } read
            ? TypedResults.Ok(read.Detail)
            : NotFound(id);

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetRawAsync(
        string id, ClaimsPrincipal user, ICaptureStore store, HttpResponse response, CancellationToken cancellationToken) =>
        await RawAsync(store, user.CaptureScope(), id, response, cancellationToken) is { } file ? file : NotFound(id);

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetAttachmentAsync(
        string id, int index, ClaimsPrincipal user, ICaptureStore store, HttpResponse response, CancellationToken cancellationToken) =>
        await AttachmentAsync(store, user.CaptureScope(), id, index, response, cancellationToken) is { } file ? file : AttachmentNotFound(id);

    internal static async Task<Ok<CapturedCleared>> ClearAsync(ClaimsPrincipal user, ICaptureStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new CapturedCleared(await store.ClearAsync(user.CaptureScope(), cancellationToken)));

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, ClaimsPrincipal user, ICaptureStore store, CancellationToken cancellationToken) =>
        CaptureIds.IsValid(id) && await store.DeleteAsync(user.CaptureScope(), id, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(id);

    /// <summary>The exact bytes as a download; shared with the page.</summary>
    internal static async Task<FileContentHttpResult?> RawAsync(ICaptureStore store, CaptureScope scope, string id, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!CaptureIds.IsValid(id) || await store.GetRawAsync(scope, id, cancellationToken) is not { } raw)
        {
            return null;
        }

        CapturedMail.ProtectDownload(response);
        return TypedResults.File(raw, "message/rfc822", $"{id}.eml");
    }

    /// <summary>An attachment as a download; shared with the page.</summary>
    internal static async Task<FileContentHttpResult?> AttachmentAsync(
        ICaptureStore store, CaptureScope scope, string id, int index, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await CapturedMail.AttachmentAsync(store, scope, id, index, cancellationToken) is not { } attachment)
        {
            return null;
        }

        CapturedMail.ProtectDownload(response);
        return TypedResults.File(attachment.Content, attachment.Description.ContentType, CapturedMail.FileName(attachment.Description));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Captured message not found.",
            detail: $"No captured message '{id}' for this API key's account (the newest Capture:MaxMessages, up to Capture:MaxBytes, are kept).");

    private static ProblemHttpResult AttachmentNotFound(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Attachment not found.",
            detail: $"No captured message '{id}' with an attachment of that index for this API key's account; indexes are those of GET /captured/{id}, from 0.");
}

/// <summary>The ?limit=&amp;cursor= of a captured mail listing, checked the same for the API and the page.</summary>
internal static class PageRequest
{
    public static Dictionary<string, string[]>? Validate(int? limit, string? cursor)
    {
        return Paging.Validate(limit, CapturedApi.MaxPageSize, cursor, CaptureIds.IsValid);
    }
}
