using System.Globalization;
using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// The query string of <c>GET /messages</c>, taken as the strings the client sent so that every
/// bad value is a field error (a 400 naming it), never a binding failure.
/// </summary>
internal sealed record MessageSearchRequest(
    string? Recipient, string? Status, string? Tag, string? From, string? Since, string? Until, string? Limit, string? Cursor)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static readonly IReadOnlyList<string> Statuses =
    [
        MessageStatus.Queued, MessageStatus.Sending, MessageStatus.Deferred, MessageStatus.Delivered,
        MessageStatus.PartiallyDelivered, MessageStatus.Bounced, MessageStatus.Failed, MessageStatus.Suppressed,
        MessageStatus.Canceled,
    ];

    public MessageQuery? ToQuery(string accountId, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var recipient = Address(Recipient, "recipient", errors);
        var from = Address(From, "from", errors);
        if (Present(Status) is { } status && !Statuses.Contains(status, StringComparer.Ordinal))
        {
            errors["status"] = [$"must be one of {string.Join(", ", Statuses)}."];
        }

        if (Present(Tag) is { } tag && !MessageRules.IsValidTag(tag))
        {
            errors["tag"] = [MessageRules.TagRule];
        }

        var since = Time(Since, "since", errors);
        var until = Time(Until, "until", errors);
        if (since is { } s && until is { } u && s >= u)
        {
            errors["until"] = ["must be later than since."];
        }

        var limit = DefaultPageSize;
        if (Present(Limit) is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
        {
            errors["limit"] = [$"must be a whole number from 1 to {MaxPageSize}."];
        }

        if (Present(Cursor) is { } cursor && !SearchEntries.IsValidCursor(cursor))
        {
            errors["cursor"] = ["must be a next_cursor from an earlier page."];
        }

        return errors.Count > 0
            ? null
            : new MessageQuery(accountId, recipient, Present(Status), Present(Tag), from, since, until, limit, Present(Cursor));
    }

    private static string? Present(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? Address(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (Present(value) is not { } text)
        {
            return null;
        }

        if (!EmailAddress.TryParse(text, out var address, out var error))
        {
            errors[field] = [$"must be an email address ({error})."];
            return null;
        }

        return address.Canonical;
    }

    private static DateTimeOffset? Time(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (Present(value) is not { } text)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            errors[field] = ["must be a date and time as in RFC 3339, e.g. 2026-11-22T10:00:00Z."];
            return null;
        }

        return at;
    }
}
