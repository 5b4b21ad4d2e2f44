using SendApi.Api.Features.Messages;

namespace SendApi.Api.Http;

/// <summary>
/// What the query parameters of the listing endpoints mean, with a realistic example each: the
/// handlers take them as strings (so that a bad value is a field error, not a binding failure), so
/// their type, format and allowed values are stated here for the OpenAPI document and Swagger UI.
/// Only values that fit any account have an example: Swagger UI's "Try it out" fills examples in,
/// and a sample recipient, date or cursor there would find nothing.
/// </summary>
public static class QueryParameterDocs
{
    /// <param name="Type">The JSON schema type the string holds ("string", "integer").</param>
    /// <param name="Format">e.g. "date-time", "email".</param>
    /// <param name="Values">The allowed values, when they are a closed list.</param>
    public sealed record Doc(string Description, string? Example = null, string Type = "string", string? Format = null, IReadOnlyList<string>? Values = null);

    /// <summary>By operation id, then parameter name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, Doc>> ByOperation { get; } = new Dictionary<string, IReadOnlyDictionary<string, Doc>>
    {
        ["SearchMessages"] = new Dictionary<string, Doc>
        {
            ["recipient"] = new("Any envelope recipient (to, cc or bcc), compared case-insensitively.", Format: "email"),
            ["status"] = new("The message's status as of its last recorded attempt or report (a message in the middle of an attempt keeps the status it had before).", Values: MessageSearchRequest.Statuses),
            ["tag"] = new("One of the message's tags."),
            ["from"] = new("The envelope sender (the From address), compared case-insensitively.", Format: "email"),
            ["since"] = new("Created at or after this time (RFC 3339).", Format: "date-time"),
            ["until"] = new("Created before this time (RFC 3339).", Format: "date-time"),
            ["limit"] = new($"Messages per page, 1-{MessageSearchRequest.MaxPageSize} (default {MessageSearchRequest.DefaultPageSize}).", "50", Type: "integer"),
            ["cursor"] = new("The next_cursor of the previous page (same filters)."),
        },
        ["GetStats"] = new Dictionary<string, Doc>
        {
            ["since"] = new("Start of the range (RFC 3339), widened to a whole interval; default 24 hours or 7 days before until.", Format: "date-time"),
            ["until"] = new("End of the range (RFC 3339, exclusive), widened to a whole interval; default the end of the current one.", Format: "date-time"),
            ["tag"] = new("Only messages with this tag (not with domain)."),
            ["domain"] = new("Only recipients at this domain (not with tag)."),
            ["interval"] = new("hour or day (UTC); default day.", "day", Values: ["hour", "day"]),
        },
    };
}
