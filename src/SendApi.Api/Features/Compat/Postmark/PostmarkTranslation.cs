using System.Globalization;
using System.Text.Json;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.Postmark;

/// <summary>
/// Postmark's email as our <see cref="SendMessageRequest"/>: <c>To</c>, <c>Cc</c> and <c>Bcc</c>
/// are comma-separated lists (split outside quotes and angle brackets), <c>Headers</c> a list of
/// name/value pairs, <c>Tag</c> our one tag, <c>Metadata</c> our metadata, an attachment's
/// <c>ContentID</c> (with or without "cid:") makes it inline. <c>TemplateAlias</c> (or
/// <c>TemplateId</c>, as digits) names our template and <c>TemplateModel</c> is its variables;
/// <c>TrackOpens</c> is our track_opens and <c>TrackLinks</c> our track_clicks (SendApi rewrites
/// the HTML's links only: HtmlAndText is taken as HtmlOnly, TextOnly is refused).
/// <c>MessageStream</c> and <c>InlineCss</c> are accepted and ignored.
/// </summary>
internal static class PostmarkTranslation
{
    private static readonly string[] LinkTracking = ["None", "HtmlAndText", "HtmlOnly", "TextOnly"];

    private static readonly Dictionary<string, string> Fields = new()
    {
        ["from"] = "From", ["to"] = "To", ["cc"] = "Cc", ["bcc"] = "Bcc", ["reply_to"] = "ReplyTo", ["subject"] = "Subject",
        ["text"] = "TextBody", ["html"] = "HtmlBody", ["headers"] = "Headers", ["attachments"] = "Attachments",
        ["tags"] = "Tag", ["metadata"] = "Metadata", ["variables"] = "TemplateModel",
        ["track_opens"] = "TrackOpens", ["track_clicks"] = "TrackLinks",
    };

    private static readonly Dictionary<string, string> AttachmentFields = new()
    {
        ["filename"] = "Name", ["content"] = "Content", ["content_type"] = "ContentType", ["content_id"] = "ContentID",
    };

    /// <summary>
    /// Our error keys in Postmark's names: <c>to[1]</c> → <c>To[1]</c> (the second address of To),
    /// <c>text</c> → <c>TextBody</c>, <c>template</c> → the field of <paramref name="email"/> that named it.
    /// </summary>
    public static string FieldName(string key, PostmarkEmail? email = null) => key switch
    {
        "tags[0]" => "Tag",
        "template" or "template_version" => email is { TemplateAlias: not null } ? "TemplateAlias" : "TemplateId",
        _ => CompatErrors.Rename(key, Fields, AttachmentFields),
    };

    /// <param name="templated">The email came to a template route (<c>/email/withTemplate</c>, <c>/email/batchWithTemplates</c>).</param>
    public static (SendMessageRequest? Request, Dictionary<string, string[]> Errors) Translate(PostmarkEmail email, bool templated = false)
    {
        var errors = new Dictionary<string, string[]>();
        var template = Template(email, templated, errors);
        var trackClicks = TrackClicks(email.TrackLinks, errors);
        var replyTo = AddressList(email.ReplyTo);
        if (replyTo.Count > 1)
        {
            errors["ReplyTo"] = [$"SendApi sets one Reply-To address; this message has {replyTo.Count}."];
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < (email.Headers?.Count ?? 0); i++)
        {
            if (email.Headers![i] is not { Name: { } name, Value: { } value })
            {
                errors[$"Headers[{i}]"] = ["A header is an object with a Name and a Value."];
            }
            else if (!headers.TryAdd(name, value))
            {
                errors[$"Headers[{i}]"] = [$"The header '{name}' is given twice; SendApi sets each header once."];
            }
        }

        var attachments = new List<AttachmentRequest>();
        for (var i = 0; i < (email.Attachments?.Count ?? 0); i++)
        {
            if (email.Attachments![i] is not { } a)
            {
                errors[$"Attachments[{i}]"] = ["must be an attachment object."];
                continue;
            }

            var contentId = a.ContentId is { } id && id.StartsWith("cid:", StringComparison.OrdinalIgnoreCase) ? id[4..] : a.ContentId;
            attachments.Add(new AttachmentRequest { Filename = a.Name, Content = a.Content, ContentType = a.ContentType, ContentId = contentId is "" ? null : contentId });
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new SendMessageRequest
        {
            From = email.From,
            To = AddressList(email.To),
            Cc = AddressList(email.Cc),
            Bcc = AddressList(email.Bcc),
            ReplyTo = replyTo.Count == 1 ? replyTo[0] : null,
            Subject = email.Subject,
            Text = email.TextBody,
            Html = email.HtmlBody,
            Headers = email.Headers is null ? null : headers,
            Attachments = email.Attachments is null ? null : attachments,
            Tags = string.IsNullOrEmpty(email.Tag) ? null : [email.Tag],
            Metadata = email.Metadata,
            Template = template,
            Variables = email.TemplateModel,
            TrackOpens = email.TrackOpens,
            TrackClicks = trackClicks,
        }, errors);
    }

    /// <summary>
    /// The template's name: TemplateAlias, or TemplateId as digits (Postmark's ids are numbers, so
    /// a template created as "12345" answers to TemplateId 12345). Off the template routes, the
    /// template fields are refused rather than ignored: the email would go out without its content.
    /// </summary>
    private static string? Template(PostmarkEmail email, bool templated, Dictionary<string, string[]> errors)
    {
        var id = email.TemplateId is { ValueKind: not JsonValueKind.Null } given ? given : (JsonElement?)null;
        if (!templated)
        {
            foreach (var (field, present) in new[] { ("TemplateId", id is not null), ("TemplateAlias", email.TemplateAlias is not null), ("TemplateModel", email.TemplateModel is not null), ("InlineCss", email.InlineCss is not null) })
            {
                if (present)
                {
                    errors[field] = ["belongs to POST /email/withTemplate (or /email/batchWithTemplates); this route sends the Subject, HtmlBody and TextBody it is given."];
                }
            }

            return null;
        }

        if (id is not null && email.TemplateAlias is not null)
        {
            errors["TemplateId"] = ["Give TemplateId or TemplateAlias, not both."];
            return null;
        }

        if (email.TemplateAlias is { } alias)
        {
            return alias;
        }

        switch (id)
        {
            case { ValueKind: JsonValueKind.Number } number when number.TryGetInt64(out var n) && n >= 0:
                return n.ToString(CultureInfo.InvariantCulture);
            case { ValueKind: JsonValueKind.String } text:
                return text.GetString();
            case null:
                errors["TemplateId"] = ["TemplateId or TemplateAlias is required: the name of one of the account's templates (POST /templates)."];
                return null;
            default:
                errors["TemplateId"] = ["must be a whole number or a string naming one of the account's templates."];
                return null;
        }
    }

    /// <summary>TrackLinks as our track_clicks; null (the server's default) when absent.</summary>
    private static bool? TrackClicks(string? trackLinks, Dictionary<string, string[]> errors)
    {
        switch (trackLinks)
        {
            case null:
                return null;
            case var none when none.Equals("None", StringComparison.OrdinalIgnoreCase):
                return false;
            case var html when html.Equals("HtmlOnly", StringComparison.OrdinalIgnoreCase) || html.Equals("HtmlAndText", StringComparison.OrdinalIgnoreCase):
                // The text part keeps its links as written: a tracked URL there is long and unreadable.
                return true;
            case var text when text.Equals("TextOnly", StringComparison.OrdinalIgnoreCase):
                errors["TrackLinks"] = ["SendApi tracks the links of the HTML body only; use HtmlOnly, HtmlAndText (its HTML links are tracked) or None."];
                return null;
            default:
                errors["TrackLinks"] = [$"must be one of {string.Join(", ", LinkTracking)}."];
                return null;
        }
    }

    /// <summary>
    /// "a@x.test, \"Doe, J\" &lt;j@x.test&gt;" → its addresses: commas inside quotes or angle
    /// brackets do not separate. Each address is then held to our rule by the validator.
    /// </summary>
    internal static List<string> AddressList(string? text)
    {
        var list = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return list;
        }

        var (start, quoted, angle) = (0, false, false);
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : ',';
            if (c == '\\' && quoted)
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '<')
            {
                angle = true;
            }
            else if (!quoted && c == '>')
            {
                angle = false;
            }
            else if (c == ',' && ((!quoted && !angle) || i == text.Length))
            {
                if (text[start..Math.Min(i, text.Length)].Trim() is { Length: > 0 } address)
                {
                    list.Add(address);
                }

                start = i + 1;
            }
        }

        return list;
    }
}
