using System.Text.Json.Serialization;

namespace SendApi.Api.Features.Compat.Postmark;

/// <summary>The body of Postmark's <c>POST /email</c> (and one item of <c>POST /email/batch</c>), PascalCase as its API spells it.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record PostmarkEmail
{
    public string? From { get; init; }

    /// <summary>Comma-separated addresses, as Postmark takes them: <c>"a@x.test, B &lt;b@x.test&gt;"</c>.</summary>
    public string? To { get; init; }

    public string? Cc { get; init; }

    public string? Bcc { get; init; }

    public string? ReplyTo { get; init; }

    public string? Subject { get; init; }

    public string? HtmlBody { get; init; }

    public string? TextBody { get; init; }

    public string? Tag { get; init; }

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public IReadOnlyList<PostmarkHeader?>? Headers { get; init; }

    public IReadOnlyList<PostmarkAttachment?>? Attachments { get; init; }

    /// <summary>Accepted and ignored until SendApi tracks opens.</summary>
    public bool? TrackOpens { get; init; }

    /// <summary>None, HtmlAndText, HtmlOnly or TextOnly; accepted and ignored until SendApi tracks clicks.</summary>
    public string? TrackLinks { get; init; }

    /// <summary>Postmark's message streams; accepted and ignored (SendApi has one stream).</summary>
    public string? MessageStream { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record PostmarkHeader
{
    public string? Name { get; init; }

    public string? Value { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record PostmarkAttachment
{
    public string? Name { get; init; }

    public string? Content { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Makes it inline; Postmark's clients write it as <c>cid:logo</c> or <c>logo</c>.</summary>
    [JsonPropertyName("ContentID")]
    public string? ContentId { get; init; }

    /// <summary>The decoded length, which some clients send along; ignored (the content says it).</summary>
    public long? ContentLength { get; init; }

    /// <summary>"attachment" or "inline"; ignored: ContentID decides, as in Postmark.</summary>
    public string? Disposition { get; init; }
}

/// <summary>Postmark's answer for one message, sent or refused: <c>ErrorCode</c> 0 and <c>Message</c> "OK" when sent.</summary>
internal sealed record PostmarkResponse
{
    public string? To { get; init; }

    public DateTimeOffset? SubmittedAt { get; init; }

    [JsonPropertyName("MessageID")]
    public string? MessageId { get; init; }

    public int ErrorCode { get; init; }

    public required string Message { get; init; }
}
