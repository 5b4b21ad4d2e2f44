using System.Globalization;

namespace SendApi.Core.Messages.Search;

/// <summary>
/// Finds an account's messages, newest first, a page at a time. The indexes behind it are written
/// in the same atomic steps as the message (accept, attempt, later evidence), so a message is
/// findable as soon as its 202 is sent, and its status filter follows each recorded attempt and
/// report (a message in the middle of an attempt keeps the status it had before it: "sending" is
/// written per attempt, and indexing it would cost two more index moves per message).
/// </summary>
public interface IMessageSearch
{
    Task<MessagePage> SearchAsync(MessageQuery query, CancellationToken cancellationToken);
}

/// <summary>What to look for. Every filter given must hold (they combine with AND).</summary>
/// <param name="Recipient">Any envelope recipient (to, cc or bcc), compared case-insensitively.</param>
/// <param name="Status">The message's current overall status (<see cref="MessageStatus"/>).</param>
/// <param name="From">The envelope sender, compared case-insensitively.</param>
/// <param name="Since">Created at or after (inclusive).</param>
/// <param name="Until">Created before (exclusive).</param>
/// <param name="Cursor">A <see cref="MessagePage.NextCursor"/>: continue below it.</param>
/// <param name="KeyId">
/// Only messages sent with this API key (<see cref="MessageEnvelope.KeyId"/>): what a <c>send</c>-scoped
/// key sees. A message with no key recorded (accepted before keys were recorded) matches none.
/// </param>
public sealed record MessageQuery(
    string AccountId,
    string? Recipient = null,
    string? Status = null,
    string? Tag = null,
    string? From = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    int Limit = 50,
    string? Cursor = null,
    string? KeyId = null);

/// <param name="NextCursor">
/// Pass back for the next (older) page; null when nothing older matches. A page may hold fewer
/// than the limit while a cursor follows: a search examines at most <see cref="MessageSearchLimits.ScanBudget"/>
/// candidates per page, so that a rare combination of filters costs bounded work per request.
/// </param>
public sealed record MessagePage(IReadOnlyList<MessageSummary> Items, string? NextCursor);

/// <summary>A message in a listing; <c>GET /messages/{id}</c> has the rest.</summary>
/// <param name="To">Every envelope recipient's address (to, cc and bcc), in envelope order.</param>
/// <param name="Status">The overall status as of the last recorded attempt or report.</param>
public sealed record MessageSummary(
    string Id,
    DateTimeOffset CreatedAt,
    string From,
    string? Subject,
    IReadOnlyList<string> To,
    string Status,
    IReadOnlyList<string> Tags)
{
    public static MessageSummary Of(MessageEnvelope envelope, string status) =>
        new(envelope.Id, envelope.CreatedAt, envelope.From, envelope.Subject, [.. envelope.Recipients.Select(r => r.Address)], status, envelope.Tags);
}

public static class MessageSearchLimits
{
    /// <summary>Candidates one page may examine before it answers with what it found so far.</summary>
    public const int ScanBudget = 2000;

    /// <summary>
    /// How long an index entry is kept after its message was created. Messages are retained for
    /// <see cref="MessageLifetimes.Retention"/> after they finish, which can be days after they were
    /// created, so entries live longer; an entry whose message is gone is skipped and removed when
    /// a search meets it.
    /// </summary>
    public static readonly TimeSpan IndexLifetime = 2 * MessageLifetimes.Retention;
}

/// <summary>
/// The order of the indexes: an entry is the creation time in milliseconds (12 hex digits) followed
/// by the message id, so that entries sort by (created, id) as strings and a cursor is simply the
/// last entry a page returned.
/// </summary>
public static class SearchEntries
{
    private const int TimeDigits = 12;

    public static string Of(DateTimeOffset createdAt, string id) => TimeBound(createdAt) + id;

    /// <summary>Sorts below every entry created at or after <paramref name="at"/> and above every one created before.</summary>
    public static string TimeBound(DateTimeOffset at) =>
        Math.Clamp(at.ToUnixTimeMilliseconds(), 0, (1L << 48) - 1).ToString("x12", CultureInfo.InvariantCulture);

    public static string IdOf(string entry) => entry[TimeDigits..];

    /// <summary>Cursors come from URLs: only the shape an entry has may reach a store.</summary>
    public static bool IsValidCursor(string? cursor) =>
        cursor is { Length: TimeDigits + 32 } && !cursor.AsSpan().ContainsAnyExcept("0123456789abcdef");

    /// <summary>Addresses are indexed and looked up in one spelling: lower case.</summary>
    public static string Address(string address) => address.ToLowerInvariant();
}
