using System.Text.Json;
using System.Text.Json.Serialization;
using SendApi.Api.Http;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// The body of <c>POST /messages</c>. Addresses are "addr@example.com" or "Name &lt;addr@example.com&gt;";
/// <c>to</c>, <c>cc</c> and <c>bcc</c> take an array (a single string is accepted too).
/// Unknown fields are refused so that a typo ("htm") is an error rather than an empty body.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SendMessageRequest
{
    /// <summary>
    /// Identity, not the record's value equality: FluentValidation's <c>When</c> keeps each
    /// condition's result in a dictionary keyed by the request, and a value hash read every field,
    /// a 100 KB body twice over, once per condition (6 % of SendApi's CPU per 100 KB message in a
    /// profile). Nothing compares two requests by value.
    /// </summary>
    public bool Equals(SendMessageRequest? other) => ReferenceEquals(this, other);

    /// <inheritdoc cref="Equals(SendMessageRequest?)"/>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    public string? From { get; init; }

    /// <summary>
    /// Addresses, or recipient objects <c>{"email": "ann@example.com", "name": "Ann", "variables": {...}}</c>
    /// (with a template: each recipient with variables gets a body rendered with the message's
    /// variables and, over them, its own).
    /// </summary>
    [JsonConverter(typeof(RecipientListConverter))]
    public IReadOnlyList<string>? To { get; init; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public IReadOnlyList<string>? Cc { get; init; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public IReadOnlyList<string>? Bcc { get; init; }

    public string? ReplyTo { get; init; }

    public string? Subject { get; init; }

    // JSON strings, kept as the UTF-8 they came in (BodyContent); the OpenAPI document shows them
    // as strings (OpenApi.cs maps the type), and says nothing of the representation.
    public BodyContent? Text { get; init; }

    public BodyContent? Html { get; init; }

    /// <summary>Extra headers. Names that SendApi sets itself (From, To, Date, Message-ID, Content-*, …) are refused.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyList<AttachmentRequest>? Attachments { get; init; }

    /// <summary>Labels for filtering and webhooks; letters, digits and <c>_ - . :</c>.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Free key/value pairs returned with the message's status and events.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// When to send it (RFC 3339, e.g. 2026-12-01T09:00:00Z), at most Messages:MaxScheduleAhead
    /// (default 72 h) ahead. It is accepted now and can be canceled until then (POST /messages/{id}/cancel).
    /// </summary>
    public string? ScheduledAt { get; init; }

    /// <summary>The name of a stored template (POST /templates): subject, html and text come from it and are not given.</summary>
    public string? Template { get; init; }

    /// <summary>A version of <c>template</c> to use; the latest when absent. Its layout is always the layout's latest version.</summary>
    public int? TemplateVersion { get; init; }

    /// <summary>The template's values: strings, numbers, booleans, objects and arrays. Missing ones render empty and are listed in template_warnings.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Variables { get; init; }
    /// <summary>
    /// Adds a personal unsubscribe link to each recipient's copy: <c>List-Unsubscribe</c> (HTTPS,
    /// and mailto when Delivery:ReturnPathDomain is set) with RFC 8058 one-click
    /// <c>List-Unsubscribe-Post</c>. A recipient who uses it is added to the account's suppression
    /// list (reason "unsubscribe") and a message.unsubscribed event fires. Needs Tracking:BaseUrl.
    /// Absent: the server's default (Tracking:Unsubscribe, off unless set).
    /// </summary>
    public bool? Unsubscribe { get; init; }

    /// <summary>Adds a 1×1 image to the HTML to record opens (message.opened). Needs Tracking:BaseUrl. Absent: Tracking:Opens (off unless set).</summary>
    public bool? TrackOpens { get; init; }

    /// <summary>Sends the HTML's http(s) links through SendApi to record clicks (message.clicked); text parts keep their links. Needs Tracking:BaseUrl. Absent: Tracking:Clicks (off unless set).</summary>
    public bool? TrackClicks { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AttachmentRequest
{
    /// <summary>Identity, as <see cref="SendMessageRequest"/>'s: a value hash would read the base64 content at each validation condition.</summary>
    public bool Equals(AttachmentRequest? other) => ReferenceEquals(this, other);

    /// <inheritdoc cref="Equals(AttachmentRequest?)"/>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    public string? Filename { get; init; }

    /// <summary>The file's bytes in base64.</summary>
    public string? Content { get; init; }

    /// <summary>MIME type; guessed from the file name when absent.</summary>
    public string? ContentType { get; init; }

    /// <summary>Makes the attachment inline, referenced from the HTML as <c>cid:&lt;content_id&gt;</c>.</summary>
    public string? ContentId { get; init; }
}

/// <summary>The answer of <c>POST /messages</c>.</summary>
/// <param name="Status">"queued", or "suppressed" when every recipient is on the suppression list (nothing will be sent).</param>
/// <param name="Suppressed">The recipients on the account's suppression list: they are sent nothing. Absent when there are none.</param>
/// <param name="TemplateWarnings">With a template: the variables that had no value and rendered empty (empty when none). Absent without a template.</param>
public sealed record SendMessageResponse(string Id, string Status, IReadOnlyList<string>? Suppressed = null, IReadOnlyList<string>? TemplateWarnings = null)
{
    internal static SendMessageResponse Of(MessageAccepted accepted, IReadOnlyList<string>? templateWarnings = null) =>
        new(accepted.Id, accepted.Status, accepted.Suppressed.Count > 0 ? accepted.Suppressed : null, templateWarnings);
}
