using System.Globalization;
using System.Text.Json;
using MimeKit;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.SendGrid;

/// <summary>
/// SendGrid's send as our <see cref="SendMessageRequest"/>s, one per personalization (each is
/// its own message in SendGrid too: its recipients, subject, headers, custom_args and send_at
/// over the send's). <c>{email, name}</c> becomes <c>"name" &lt;email&gt;</c>, <c>content</c>
/// text/plain and text/html our text and html, <c>categories</c> our tags, <c>custom_args</c>
/// our metadata, <c>send_at</c> (Unix seconds) our scheduled_at, <c>template_id</c> our template
/// with each personalization's <c>dynamic_template_data</c> its variables (the template's subject
/// and bodies replace the send's, as SendGrid documents for its templates), and
/// <c>tracking_settings</c> our track_opens, track_clicks and unsubscribe. What SendApi cannot do
/// is refused by name: substitutions, sections, asm, other content types, the tracking settings
/// that would change the body in ways SendApi does not, and mail_settings.sandbox_mode (a message
/// SendGrid would only validate would be sent).
/// </summary>
internal static class SendGridTranslation
{
    private static readonly Dictionary<string, string> AttachmentFields = new()
    {
        ["filename"] = "filename", ["content"] = "content", ["content_type"] = "type", ["content_id"] = "content_id",
    };

    /// <summary>Our error key for personalization <paramref name="index"/>'s message in SendGrid's names.</summary>
    public static string FieldName(string key, int index)
    {
        var fields = new Dictionary<string, string>
        {
            ["from"] = "from.email", ["reply_to"] = "reply_to", ["text"] = "content", ["html"] = "content",
            ["tags"] = "categories", ["metadata"] = "custom_args", ["scheduled_at"] = "send_at",
            ["to"] = $"personalizations[{index}].to", ["cc"] = $"personalizations[{index}].cc", ["bcc"] = $"personalizations[{index}].bcc",
            ["template"] = "template_id", ["variables"] = $"personalizations[{index}].dynamic_template_data",
            ["track_opens"] = "tracking_settings.open_tracking.enable", ["track_clicks"] = "tracking_settings.click_tracking.enable",
            ["unsubscribe"] = "tracking_settings.subscription_tracking.enable",
        };
        var renamed = CompatErrors.Rename(key, fields, AttachmentFields);

        // to[1] is the second address object: its email.
        return renamed.StartsWith("personalizations", StringComparison.Ordinal) && renamed.EndsWith(']') ? renamed + ".email" : renamed;
    }

    /// <returns>One request per personalization, in order (null for one that could not be translated: the errors say why).</returns>
    public static (IReadOnlyList<SendMessageRequest?> Requests, Dictionary<string, string[]> Errors) Translate(SendGridMail mail)
    {
        var errors = new Dictionary<string, string[]>();
        Refuse(errors, mail);
        var tracking = Tracking(mail.TrackingSettings, errors);
        var templated = mail.TemplateId is not null;
        var (text, html) = Content(mail, errors);
        var attachments = Attachments(mail, errors);
        var replyTo = ReplyTo(mail, errors);
        if (mail.Personalizations is not { Count: > 0 } personalizations)
        {
            errors["personalizations"] = ["At least one personalization is required: each is a message with its own recipients."];
            return ([], errors);
        }

        var requests = new List<SendMessageRequest?>();
        for (var i = 0; i < personalizations.Count; i++)
        {
            if (personalizations[i] is not { } p)
            {
                errors[$"personalizations[{i}]"] = ["must be a personalization object."];
                requests.Add(null);
                continue;
            }

            if (p.Substitutions is { ValueKind: not JsonValueKind.Null })
            {
                errors[$"personalizations[{i}].substitutions"] = ["SendApi does not substitute text in bodies; build each body as it should be sent."];
            }

            var sendAt = p.SendAt ?? mail.SendAt;
            if (sendAt is < 0 or > 253402300799)
            {
                errors[p.SendAt is null ? "send_at" : $"personalizations[{i}].send_at"] = ["must be a Unix time in seconds."];
                requests.Add(null);
                continue;
            }

            requests.Add(new SendMessageRequest
            {
                From = Address(p.From ?? mail.From),
                To = Addresses(p.To),
                Cc = Addresses(p.Cc),
                Bcc = Addresses(p.Bcc),
                ReplyTo = replyTo,
                Subject = templated ? null : p.Subject ?? mail.Subject,
                Text = templated ? null : text,
                Html = templated ? null : html,
                Headers = Merged(mail.Headers, p.Headers),
                Attachments = attachments,
                Tags = mail.Categories,
                Metadata = Merged(mail.CustomArgs, p.CustomArgs),
                ScheduledAt = sendAt is { } at ? DateTimeOffset.FromUnixTimeSeconds(at).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : null,
                Template = mail.TemplateId,
                Variables = templated ? p.DynamicTemplateData : null,
                TrackOpens = tracking.Opens,
                TrackClicks = tracking.Clicks,
                Unsubscribe = tracking.Unsubscribe,
            });
        }

        return (requests, errors);
    }

    private static void Refuse(Dictionary<string, string[]> errors, SendGridMail mail)
    {
        if (mail.Sections is { ValueKind: not JsonValueKind.Null })
        {
            errors["sections"] = ["SendApi does not substitute text in bodies; build each body as it should be sent."];
        }

        if (mail.Asm is { ValueKind: not JsonValueKind.Null })
        {
            errors["asm"] = ["Unsubscribe groups are not supported by SendApi: it has one suppression list per account, which an unsubscribe from any message joins. "
                + "Leave asm out; tracking_settings.subscription_tracking.enable adds SendApi's List-Unsubscribe header."];
        }

        if (mail.MailSettings is { ValueKind: JsonValueKind.Object } settings
            && settings.TryGetProperty("sandbox_mode", out var sandbox) && sandbox.ValueKind == JsonValueKind.Object
            && sandbox.TryGetProperty("enable", out var enable) && enable.ValueKind == JsonValueKind.True)
        {
            errors["mail_settings.sandbox_mode.enable"] = ["SendApi has no validate-only mode: this message would be sent. Use a sandbox API key (captured, never delivered) instead."];
        }
    }

    /// <summary>tracking_settings as our track_opens, track_clicks and unsubscribe (null: the server's default).</summary>
    private static (bool? Opens, bool? Clicks, bool? Unsubscribe) Tracking(SendGridTrackingSettings? settings, Dictionary<string, string[]> errors)
    {
        if (settings is null)
        {
            return (null, null, null);
        }

        if (settings.OpenTracking is { Enable: true, SubstitutionTag: not null })
        {
            errors["tracking_settings.open_tracking.substitution_tag"] = ["SendApi puts the open pixel at the end of the HTML; leave substitution_tag out (the tag would be sent as written)."];
        }

        if (settings.SubscriptionTracking is { Enable: true } subscription)
        {
            foreach (var (field, value) in new[] { ("text", subscription.Text), ("html", subscription.Html), ("substitution_tag", subscription.SubstitutionTag) })
            {
                if (value is not null)
                {
                    errors[$"tracking_settings.subscription_tracking.{field}"] =
                        ["SendApi's unsubscribe is the one-click List-Unsubscribe header, not a footer in the body; leave it out (and write your own link in the body if you want one)."];
                }
            }
        }

        if (settings.Ganalytics is { Enable: true })
        {
            errors["tracking_settings.ganalytics.enable"] = ["SendApi does not add Google Analytics parameters to links; add them to your links, or leave ganalytics out."];
        }

        // click_tracking.enable_text is not an error: the HTML's links are tracked, the text keeps its own.
        return (settings.OpenTracking?.Enable, settings.ClickTracking?.Enable, settings.SubscriptionTracking?.Enable);
    }

    private static (string? Text, string? Html) Content(SendGridMail mail, Dictionary<string, string[]> errors)
    {
        string? text = null, html = null;
        for (var i = 0; i < (mail.Content?.Count ?? 0); i++)
        {
            switch (mail.Content![i])
            {
                case { Type: { } type, Value: var value } when string.Equals(type, "text/plain", StringComparison.OrdinalIgnoreCase) && text is null:
                    text = value;
                    break;
                case { Type: { } type, Value: var value } when string.Equals(type, "text/html", StringComparison.OrdinalIgnoreCase) && html is null:
                    html = value;
                    break;
                case { Type: { } type }:
                    errors[$"content[{i}].type"] = [$"SendApi sends one text/plain and one text/html body; not '{type}' (or a second one)."];
                    break;
                default:
                    errors[$"content[{i}]"] = ["A content object has a type and a value."];
                    break;
            }
        }

        return (text, html);
    }

    private static List<AttachmentRequest>? Attachments(SendGridMail mail, Dictionary<string, string[]> errors)
    {
        if (mail.Attachments is null)
        {
            return null;
        }

        var list = new List<AttachmentRequest>();
        for (var i = 0; i < mail.Attachments.Count; i++)
        {
            if (mail.Attachments[i] is not { } a)
            {
                errors[$"attachments[{i}]"] = ["must be an attachment object."];
                continue;
            }

            var inline = string.Equals(a.Disposition, "inline", StringComparison.OrdinalIgnoreCase);
            if (inline && a.ContentId is null)
            {
                errors[$"attachments[{i}].content_id"] = ["An inline attachment needs a content_id."];
            }
            else if (a.Disposition is not null && !inline && !string.Equals(a.Disposition, "attachment", StringComparison.OrdinalIgnoreCase))
            {
                errors[$"attachments[{i}].disposition"] = ["must be 'inline' or 'attachment'."];
            }

            list.Add(new AttachmentRequest { Filename = a.Filename, Content = a.Content, ContentType = a.Type, ContentId = inline ? a.ContentId : null });
        }

        return list;
    }

    private static string? ReplyTo(SendGridMail mail, Dictionary<string, string[]> errors)
    {
        var all = (mail.ReplyToList ?? []).Prepend(mail.ReplyTo).Where(a => a is not null).ToList();
        if (all.Count > 1)
        {
            errors["reply_to_list"] = [$"SendApi sets one Reply-To address; this send has {all.Count}."];
        }

        return all.Count == 1 ? Address(all[0]) : null;
    }

    /// <summary><c>{email, name}</c> as our API takes an address; MimeKit quotes the name where it must.</summary>
    private static string? Address(SendGridAddress? address) =>
        address switch
        {
            null => null,
            { Name: { Length: > 0 } name, Email: { } email } when EmailAddresses.TryParse(email, out var mailbox, out _) && mailbox.Name is null or "" =>
                new MailboxAddress(name, mailbox.Address).ToString(),
            _ => address.Email,
        };

    private static List<string>? Addresses(IReadOnlyList<SendGridAddress?>? addresses) =>
        addresses?.Select(a => Address(a) ?? "").ToList();

    private static Dictionary<string, string>? Merged(IReadOnlyDictionary<string, string>? all, IReadOnlyDictionary<string, string>? own)
    {
        if (all is null && own is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>(all ?? new Dictionary<string, string>());
        foreach (var (key, value) in own ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged;
    }
}
