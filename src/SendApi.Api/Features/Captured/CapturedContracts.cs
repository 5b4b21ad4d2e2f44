using System.Text.Json.Serialization;
using SendApi.Core.Capture;
using SendApi.Core.Inbound;

namespace SendApi.Api.Features.Captured;

/// <summary>A captured transaction in a listing; <c>GET /captured/{id}</c> has the rest.</summary>
/// <param name="MessageId">Our id of the message it belongs to (<c>GET /messages/{id}</c>).</param>
/// <param name="AccountId">The message's account (admin keys list every account's).</param>
/// <param name="Envelope">MAIL FROM and RCPT TO as the transaction would have used them.</param>
/// <param name="Size">Octets of the exact bytes (<c>GET /captured/{id}/raw</c>).</param>
/// <param name="AttachmentCount">Parts besides the text and HTML bodies: the detail's <c>attachments</c>.</param>
public sealed record CapturedSummary(
    string Id,
    DateTimeOffset CapturedAt,
    string MessageId,
    string AccountId,
    CapturedEnvelope Envelope,
    CapturedAddress? From,
    IReadOnlyList<CapturedAddress> To,
    string? Subject,
    long Size,
    bool HasText,
    bool HasHtml,
    int AttachmentCount)
{
    public static CapturedSummary Of(CapturedMessage m) =>
        new(m.Id, m.CapturedAt, m.MessageId, m.AccountId, m.Envelope, m.From, m.To, m.Subject, m.Size, m.HasText, m.HasHtml, m.Attachments);
}

/// <summary>
/// A captured transaction read from its exact bytes: the listing's fields (same names, same
/// types), and the headers, bodies and attachments as a receiver would see them.
/// </summary>
/// <param name="MessageIdHeader">The Message-ID header, without angle brackets.</param>
/// <param name="Headers">In message order, unfolded, DKIM-Signature included when the message was signed.</param>
/// <param name="Attachments">Content at <c>GET /captured/{id}/attachments/{index}</c>.</param>
public sealed record CapturedDetail(
    string Id,
    DateTimeOffset CapturedAt,
    string MessageId,
    string AccountId,
    CapturedEnvelope Envelope,
    CapturedAddress? From,
    IReadOnlyList<CapturedAddress> To,
    IReadOnlyList<CapturedAddress> Cc,
    IReadOnlyList<CapturedAddress> ReplyTo,
    string? Subject,
    DateTimeOffset? Date,
    string? MessageIdHeader,
    long Size,
    bool HasText,
    bool HasHtml,
    int AttachmentCount,
    string? Text,
    string? Html,
    IReadOnlyList<InboundHeader> Headers,
    IReadOnlyList<InboundAttachment> Attachments);

/// <summary>The answer to <c>DELETE /captured</c>.</summary>
public sealed record CapturedCleared(int Deleted);
