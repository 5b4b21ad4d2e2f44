using System.Text.Json;
using System.Text.Json.Serialization;

namespace SendApi.Api.Features.Compat.Postmark;

/// <summary>
/// The body of Postmark's <c>POST /email</c> and <c>POST /email/withTemplate</c> (and one item of
/// their batches), PascalCase as its API spells it. The template fields belong to the template
/// routes, Subject, HtmlBody and TextBody to the others.
/// </summary>
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

    /// <summary>Our track_opens; absent, the server's default (Tracking:Opens).</summary>
    public bool? TrackOpens { get; init; }

    /// <summary>None, HtmlAndText, HtmlOnly (our track_clicks) or TextOnly (refused: SendApi tracks the HTML's links only).</summary>
    public string? TrackLinks { get; init; }

    /// <summary>Postmark's numeric template id: the name of one of the account's templates, as digits (a number or a string).</summary>
    public JsonElement? TemplateId { get; init; }

    /// <summary>The name of one of the account's templates.</summary>
    public string? TemplateAlias { get; init; }

    /// <summary>Our variables.</summary>
    public IReadOnlyDictionary<string, JsonElement>? TemplateModel { get; init; }

    /// <summary>Postmark inlines a template's CSS; accepted and ignored (SendApi sends the HTML as the template renders it).</summary>
    public bool? InlineCss { get; init; }

    /// <summary>Postmark's message streams; accepted and ignored (SendApi has one stream).</summary>
    public string? MessageStream { get; init; }
}

/// <summary>The body of Postmark's <c>POST /email/batchWithTemplates</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record PostmarkTemplatedBatch
{
    public IReadOnlyList<PostmarkEmail?>? Messages { get; init; }
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
