using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using MimeKit;
using SendApi.Api.Auth;
using SendApi.Api.Http;
using SendApi.Core.Inbound;
using SendApi.Inbound;

namespace SendApi.Api.Features.Inbound;

/// <summary>
/// <c>/inbound</c>: mail received on port 25 for the API key's account (its inbound domains, and
/// people's replies to its messages). Another account's mail is a 404, as a missing one is.
/// </summary>
public static class InboundApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static RouteGroupBuilder MapInboundApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/inbound")
            .WithTags("Inbound")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/", ListAsync)
            .WithName("ListInbound")
            .WithSummary("Received mail, newest first, a page at a time")
            .WithDescription($"?limit= takes 1-{MaxPageSize} (default {DefaultPageSize}); pass the answer's next_cursor as ?cursor= for the next (older) page. Mail is kept for Inbound:Retention (default 30 days).");

        group.MapGet("/{id}", GetAsync)
            .WithName("GetInbound")
            .WithSummary("One received message, parsed: addresses, text, HTML, the reply without quoted history, headers, attachments")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/raw", GetRawAsync)
            .WithName("GetInboundRaw")
            .WithSummary("The received message's original MIME, as it arrived (message/rfc822)")
            .Produces(StatusCodes.Status200OK, contentType: "message/rfc822")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/attachments/{index:int}", GetAttachmentAsync)
            .WithName("GetInboundAttachment")
            .WithSummary("One attachment's decoded content, by its index in the message's attachments")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    internal static async Task<Results<Ok<ListPage<InboundSummary>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, ClaimsPrincipal user, IInboundStore store, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, MaxPageSize, cursor, InboundIds.IsValid) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        var page = await store.ListAsync(user.AccountId(), string.IsNullOrEmpty(cursor) ? null : cursor, limit ?? DefaultPageSize, cancellationToken);
        return TypedResults.Ok(new ListPage<InboundSummary>([.. page.Items.Select(InboundSummary.Of)], page.NextCursor));
    }

    internal static async Task<Results<Ok<InboundEmail>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IInboundStore store, CancellationToken cancellationToken) =>
        InboundIds.IsValid(id) && await store.FindAsync(user.AccountId(), id, cancellationToken) is { } email
            ? TypedResults.Ok(email)
            : NotFound(id);

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetRawAsync(
        string id, ClaimsPrincipal user, IInboundStore store, CancellationToken cancellationToken) =>
        InboundIds.IsValid(id) && await store.GetRawAsync(user.AccountId(), id, cancellationToken) is { } raw
            ? TypedResults.File(raw, "message/rfc822", $"{id}.eml")
            : NotFound(id);

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetAttachmentAsync(
        string id, int index, ClaimsPrincipal user, IInboundStore store, CancellationToken cancellationToken)
    {
        if (!InboundIds.IsValid(id) || await store.GetRawAsync(user.AccountId(), id, cancellationToken) is not { } raw)
        {
            return NotFound(id);
        }

        using var message = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken);
        var attachments = InboundMailReader.Attachments(message);
        if (index < 0 || index >= attachments.Count)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Attachment not found.",
                detail: $"Message '{id}' has {attachments.Count} attachment(s), numbered from 0.");
        }

        var (part, description) = attachments[index];
        using var content = new MemoryStream();
        InboundMailReader.WriteContent(part, content);
        return TypedResults.File(content.ToArray(), description.ContentType, description.Filename);
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Inbound message not found.",
            detail: $"No received message '{id}' for this API key's account (mail is kept for Inbound:Retention).");
}

/// <summary>A received message in a listing; <c>GET /inbound/{id}</c> has the rest.</summary>
/// <param name="AttachmentCount">How many attachments: the length of the detail's <c>attachments</c> (named as in <c>/captured</c>).</param>
public sealed record InboundSummary(
    string Id,
    DateTimeOffset ReceivedAt,
    InboundAddress? From,
    IReadOnlyList<string> RcptTo,
    string? Subject,
    string? InReplyToMessageId,
    bool AutoReply,
    int AttachmentCount,
    long Size)
{
    public static InboundSummary Of(InboundEmail email) =>
        new(email.Id, email.ReceivedAt, email.From, email.Envelope.RcptTo, email.Subject, email.InReplyToMessageId, email.AutoReply, email.Attachments.Count, email.Size);
}
