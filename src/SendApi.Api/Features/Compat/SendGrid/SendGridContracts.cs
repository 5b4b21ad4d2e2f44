using System.Text.Json;
using System.Text.Json.Serialization;

namespace SendApi.Api.Features.Compat.SendGrid;

/// <summary>The body of SendGrid's v3 <c>POST /mail/send</c>, as its SDKs send it.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridMail
{
    public SendGridAddress? From { get; init; }

    public SendGridAddress? ReplyTo { get; init; }

    public IReadOnlyList<SendGridAddress?>? ReplyToList { get; init; }

    public string? Subject { get; init; }

    public IReadOnlyList<SendGridPersonalization?>? Personalizations { get; init; }

    public IReadOnlyList<SendGridContent?>? Content { get; init; }

    public IReadOnlyList<SendGridAttachment?>? Attachments { get; init; }

    /// <summary>
    /// The name of one of the account's templates (SendGrid's <c>d-…</c> ids are valid names); its
    /// subject and bodies replace the send's, as a SendGrid template's do.
    /// </summary>
    public string? TemplateId { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyList<string>? Categories { get; init; }

    public IReadOnlyDictionary<string, string>? CustomArgs { get; init; }

    /// <summary>Unix seconds.</summary>
    public long? SendAt { get; init; }

    /// <summary>SendGrid's handle for canceling scheduled sends together; accepted and ignored (SendApi cancels by message id).</summary>
    public string? BatchId { get; init; }

    /// <summary>Unsubscribe groups: refused (SendApi has one suppression list per account, not groups).</summary>
    public JsonElement? Asm { get; init; }

    /// <summary>SendGrid's dedicated IP pools; accepted and ignored.</summary>
    public string? IpPoolName { get; init; }

    /// <summary>Accepted and ignored, but for sandbox_mode.enable = true, which is refused (it would be sent).</summary>
    public JsonElement? MailSettings { get; init; }

    /// <summary>Our track_opens, track_clicks and unsubscribe; absent, the server's defaults (Tracking:*).</summary>
    public SendGridTrackingSettings? TrackingSettings { get; init; }

    /// <summary>Legacy substitution sections: refused (SendApi does not substitute).</summary>
    public JsonElement? Sections { get; init; }
}

/// <summary>One message of a send: its own recipients, and what it overrides of the whole.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridPersonalization
{
    public IReadOnlyList<SendGridAddress?>? To { get; init; }

    public IReadOnlyList<SendGridAddress?>? Cc { get; init; }

    public IReadOnlyList<SendGridAddress?>? Bcc { get; init; }

    public SendGridAddress? From { get; init; }

    public string? Subject { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Legacy substitutions: refused (SendApi does not substitute).</summary>
    public JsonElement? Substitutions { get; init; }

    public IReadOnlyDictionary<string, string>? CustomArgs { get; init; }

    /// <summary>Unix seconds; overrides the send's.</summary>
    public long? SendAt { get; init; }

    /// <summary>This message's variables for <c>template_id</c>'s template; ignored without one, as SendGrid ignores them.</summary>
    public IReadOnlyDictionary<string, JsonElement>? DynamicTemplateData { get; init; }
}

/// <summary>SendGrid's per-send tracking, as ours: opens, clicks (in the HTML) and unsubscribe (the List-Unsubscribe header).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridTrackingSettings
{
    public SendGridClickTracking? ClickTracking { get; init; }

    public SendGridOpenTracking? OpenTracking { get; init; }

    public SendGridSubscriptionTracking? SubscriptionTracking { get; init; }

    /// <summary>Google Analytics parameters added to links: refused when enabled (SendApi does not change link URLs but to track them).</summary>
    public SendGridGanalytics? Ganalytics { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridClickTracking
{
    public bool? Enable { get; init; }

    /// <summary>Also the text part's links: ignored, SendApi tracks the HTML's links only (the text keeps them readable).</summary>
    public bool? EnableText { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridOpenTracking
{
    public bool? Enable { get; init; }

    /// <summary>Where SendGrid puts the pixel: refused when enabled (SendApi puts it at the end of the HTML; the tag would be sent as written).</summary>
    public string? SubstitutionTag { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridSubscriptionTracking
{
    public bool? Enable { get; init; }

    /// <summary>SendGrid's unsubscribe footer: text, html and substitution_tag are refused when enabled (SendApi's unsubscribe is the List-Unsubscribe header, not a link in the body).</summary>
    public string? Text { get; init; }

    public string? Html { get; init; }

    public string? SubstitutionTag { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridGanalytics
{
    public bool? Enable { get; init; }

    public string? UtmSource { get; init; }

    public string? UtmMedium { get; init; }

    public string? UtmTerm { get; init; }

    public string? UtmContent { get; init; }

    public string? UtmCampaign { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridAddress
{
    public string? Email { get; init; }

    public string? Name { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridContent
{
    public string? Type { get; init; }

    public string? Value { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SendGridAttachment
{
    public string? Content { get; init; }

    public string? Filename { get; init; }

    public string? Type { get; init; }

    /// <summary>"attachment" (default) or "inline", which needs a content_id.</summary>
    public string? Disposition { get; init; }

    public string? ContentId { get; init; }
}

/// <summary>SendGrid's error body: <c>{errors: [{message, field, help}]}</c>.</summary>
internal sealed record SendGridErrorBody(IReadOnlyList<SendGridError> Errors);

internal sealed record SendGridError(string Message, string? Field, string? Help = null);
