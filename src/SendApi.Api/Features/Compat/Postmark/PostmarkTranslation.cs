using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.Postmark;

/// <summary>
/// Postmark's email as our <see cref="SendMessageRequest"/>: <c>To</c>, <c>Cc</c> and <c>Bcc</c>
/// are comma-separated lists (split outside quotes and angle brackets), <c>Headers</c> a list of
/// name/value pairs, <c>Tag</c> our one tag, <c>Metadata</c> our metadata, an attachment's
/// <c>ContentID</c> (with or without "cid:") makes it inline. <c>TrackOpens</c>,
/// <c>TrackLinks</c> and <c>MessageStream</c> are checked and otherwise ignored.
/// </summary>
internal static class PostmarkTranslation
{
    private static readonly string[] LinkTracking = ["None", "HtmlAndText", "HtmlOnly", "TextOnly"];

    private static readonly Dictionary<string, string> Fields = new()
    {
        ["from"] = "From", ["to"] = "To", ["cc"] = "Cc", ["bcc"] = "Bcc", ["reply_to"] = "ReplyTo", ["subject"] = "Subject",
        ["text"] = "TextBody", ["html"] = "HtmlBody", ["headers"] = "Headers", ["attachments"] = "Attachments",
        ["tags"] = "Tag", ["metadata"] = "Metadata",
    };

    private static readonly Dictionary<string, string> AttachmentFields = new()
    {
        ["filename"] = "Name", ["content"] = "Content", ["content_type"] = "ContentType", ["content_id"] = "ContentID",
    };

    /// <summary>Our error keys in Postmark's names: <c>to[1]</c> → <c>To[1]</c> (the second address of To), <c>text</c> → <c>TextBody</c>.</summary>
    public static string FieldName(string key) => key == "tags[0]" ? "Tag" : CompatErrors.Rename(key, Fields, AttachmentFields);

    public static (SendMessageRequest? Request, Dictionary<string, string[]> Errors) Translate(PostmarkEmail email)
    {
        var errors = new Dictionary<string, string[]>();
        if (email.TrackLinks is { } track && !LinkTracking.Contains(track, StringComparer.OrdinalIgnoreCase))
        {
            errors["TrackLinks"] = [$"must be one of {string.Join(", ", LinkTracking)}."];
        }

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
        }, errors);
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
