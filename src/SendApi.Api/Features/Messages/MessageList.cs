using System.Text.Json.Serialization;
using SendApi.Core.Messages.Search;

namespace SendApi.Api.Features.Messages;

/// <summary>One page of <c>GET /messages</c>, newest first.</summary>
/// <param name="NextCursor">
/// Pass as <c>?cursor=</c> (with the same filters) for the next, older page; null on the last page.
/// A page may hold fewer than <c>limit</c> messages while a cursor follows: each page examines a
/// bounded number of candidates.
/// </param>
public sealed record MessageList(
    IReadOnlyList<MessageListItem> Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>A message in a listing; <c>GET /messages/{id}</c> has its recipients' states and timeline.</summary>
/// <param name="To">Every envelope recipient's address (to, cc and bcc).</param>
/// <param name="Status">The overall status as of the last recorded attempt or report (<c>GET /messages/{id}</c> also shows an attempt in progress as "sending").</param>
public sealed record MessageListItem(
    string Id,
    DateTimeOffset CreatedAt,
    string From,
    string? Subject,
    IReadOnlyList<string> To,
    string Status,
    IReadOnlyList<string> Tags)
{
    internal static MessageListItem Of(MessageSummary m) => new(m.Id, m.CreatedAt, m.From, m.Subject, m.To, m.Status, m.Tags);
}
