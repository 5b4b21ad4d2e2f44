using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.Resend;

/// <summary>
/// Resend's email as our <see cref="SendMessageRequest"/>. Its fields are ours, by the same
/// names, but for these: <c>reply_to</c> may be a list (one address is taken; several are
/// refused), <c>tags</c> are name/value pairs and become our metadata (<c>{name: "category",
/// value: "welcome"}</c> → <c>metadata.category = "welcome"</c>; GET /emails/{id} gives them back
/// as tags), <c>template: {id, variables}</c> is our template and variables (the id names a
/// template of the account), and what SendApi cannot do is refused by name rather than dropped:
/// <c>topic_id</c>, and attachments by <c>path</c> (a URL SendApi would have to fetch).
/// </summary>
internal static class ResendTranslation
{
    /// <summary>Our error keys in Resend's names (they are the same but for tags, which are our metadata, and the template's).</summary>
    public static string FieldName(string key) => key switch
    {
        "template" or "template_version" => "template.id",
        _ when key.StartsWith("metadata", StringComparison.Ordinal) => "tags" + key["metadata".Length..],
        _ when key.StartsWith("variables", StringComparison.Ordinal) => "template." + key,
        _ => key,
    };

    public static (SendMessageRequest? Request, Dictionary<string, string[]> Errors) Translate(ResendEmail email)
    {
        var errors = new Dictionary<string, string[]>();
        if (email.Template is { Id: null })
        {
            errors["template.id"] = ["is required: the name of one of the account's templates (POST /templates)."];
        }

        if (email.TopicId is not null)
        {
            errors["topic_id"] = ["Topics are not supported by SendApi; leave topic_id out (SendApi's suppression list applies to every message)."];
        }

        if (email.ReplyTo is { Count: > 1 })
        {
            errors["reply_to"] = [$"SendApi sets one Reply-To address; this email has {email.ReplyTo.Count}."];
        }

        var attachments = new List<AttachmentRequest>();
        for (var i = 0; i < (email.Attachments?.Count ?? 0); i++)
        {
            switch (email.Attachments![i])
            {
                case null:
                    errors[$"attachments[{i}]"] = ["must be an attachment object."];
                    break;
                case { Path: not null }:
                    errors[$"attachments[{i}].path"] = ["SendApi does not fetch attachments from URLs; send the file as content (base64)."];
                    break;
                case var a:
                    attachments.Add(new AttachmentRequest { Filename = a.Filename, Content = a.Content, ContentType = a.ContentType, ContentId = a.ContentId });
                    break;
            }
        }

        var metadata = new Dictionary<string, string>();
        for (var i = 0; i < (email.Tags?.Count ?? 0); i++)
        {
            if (email.Tags![i] is not { Name: { } name, Value: { } value })
            {
                errors[$"tags[{i}]"] = ["A tag is an object with a name and a value."];
            }
            else if (!metadata.TryAdd(name, value))
            {
                errors[$"tags[{i}]"] = [$"The tag name '{name}' is given twice."];
            }
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new SendMessageRequest
        {
            From = email.From,
            To = email.To,
            Cc = email.Cc,
            Bcc = email.Bcc,
            ReplyTo = email.ReplyTo is [var replyTo] ? replyTo : null,
            Subject = email.Subject,
            Text = email.Text,
            Html = email.Html,
            Headers = email.Headers,
            Attachments = email.Attachments is null ? null : attachments,
            Metadata = email.Tags is null ? null : metadata,
            ScheduledAt = email.ScheduledAt,
            Template = email.Template?.Id,
            Variables = email.Template?.Variables,
        }, errors);
    }
}
