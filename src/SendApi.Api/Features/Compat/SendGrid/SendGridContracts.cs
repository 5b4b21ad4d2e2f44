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

    /// <summary>SendGrid's stored templates: refused until SendApi has templates.</summary>
    public string? TemplateId { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyList<string>? Categories { get; init; }

    public IReadOnlyDictionary<string, string>? CustomArgs { get; init; }

    /// <summary>Unix seconds.</summary>
    public long? SendAt { get; init; }

    /// <summary>SendGrid's handle for canceling scheduled sends together; accepted and ignored (SendApi cancels by message id).</summary>
    public string? BatchId { get; init; }

    /// <summary>Unsubscribe groups: refused (SendApi has none).</summary>
    public JsonElement? Asm { get; init; }

    /// <summary>SendGrid's dedicated IP pools; accepted and ignored.</summary>
    public string? IpPoolName { get; init; }

    /// <summary>Accepted and ignored, but for sandbox_mode.enable = true, which is refused (it would be sent).</summary>
    public JsonElement? MailSettings { get; init; }

    /// <summary>Accepted and ignored until SendApi tracks opens and clicks.</summary>
    public JsonElement? TrackingSettings { get; init; }

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

    /// <summary>The values for <c>template_id</c>'s template; ignored without one (which is refused for now).</summary>
    public JsonElement? DynamicTemplateData { get; init; }
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
