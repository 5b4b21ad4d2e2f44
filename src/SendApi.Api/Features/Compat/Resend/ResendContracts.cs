using System.Text.Json;
using System.Text.Json.Serialization;
using SendApi.Api.Http;

namespace SendApi.Api.Features.Compat.Resend;

/// <summary>The body of Resend's <c>POST /emails</c> (and one item of <c>POST /emails/batch</c>), as its SDK sends it.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ResendEmail
{
    public string? From { get; init; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public IReadOnlyList<string>? To { get; init; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public IReadOnlyList<string>? Cc { get; init; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public IReadOnlyList<string>? Bcc { get; init; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public IReadOnlyList<string>? ReplyTo { get; init; }

    public string? Subject { get; init; }

    public string? Text { get; init; }

    public string? Html { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyList<ResendAttachment?>? Attachments { get; init; }

    public IReadOnlyList<ResendTag?>? Tags { get; init; }

    public string? ScheduledAt { get; init; }

    /// <summary>A stored template of the account (POST /templates) by its name, and its variables.</summary>
    public ResendTemplate? Template { get; init; }

    /// <summary>Resend's subscription topics: refused (SendApi has no topics).</summary>
    public string? TopicId { get; init; }
}

/// <summary>Resend's <c>template</c>: its <c>id</c> (an id or alias in Resend) names one of our templates.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ResendTemplate
{
    public string? Id { get; init; }

    public IReadOnlyDictionary<string, JsonElement>? Variables { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ResendAttachment
{
    public string? Content { get; init; }

    public string? Filename { get; init; }

    /// <summary>A URL Resend would fetch the file from: refused (SendApi never fetches attachments).</summary>
    public string? Path { get; init; }

    public string? ContentType { get; init; }

    public string? ContentId { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ResendTag
{
    public string? Name { get; init; }

    public string? Value { get; init; }
}

/// <summary>Resend's error body, which its SDK returns as <c>error</c>: <c>{statusCode, name, message}</c>.</summary>
internal sealed record ResendError([property: JsonPropertyName("statusCode")] int StatusCode, string Name, string Message);

internal sealed record ResendCreated(string Id);

internal sealed record ResendBatchCreated(IReadOnlyList<ResendCreated> Data, IReadOnlyList<ResendBatchError>? Errors = null);

internal sealed record ResendBatchError(int Index, string Message);

internal sealed record ResendTagValue(string Name, string Value);

/// <summary>Resend's answer to <c>GET /emails/{id}</c>, from our message details.</summary>
internal sealed record ResendEmailDetails(
    string Object,
    string Id,
    string From,
    IReadOnlyList<string> To,
    IReadOnlyList<string>? Cc,
    IReadOnlyList<string>? Bcc,
    IReadOnlyList<string>? ReplyTo,
    string Subject,
    string? Html,
    string? Text,
    string MessageId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ScheduledAt,
    string LastEvent,
    IReadOnlyList<ResendTagValue> Tags);

internal sealed record ResendCanceled(string Object, string Id);
