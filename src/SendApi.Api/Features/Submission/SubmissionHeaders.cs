using MimeKit;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Submission;

/// <summary>The SendApi options an SMTP client passes as headers, with the same rules as the JSON fields.</summary>
internal sealed record SubmissionOptions(IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Metadata, string? IdempotencyKey);

/// <summary>
/// Reads and removes the headers that carry SendApi options (<c>X-SendApi-Tags: a, b</c>,
/// <c>X-SendApi-Metadata-&lt;name&gt;: value</c>, <c>Idempotency-Key</c>) and the Bcc headers,
/// none of which may reach the recipients.
/// </summary>
internal static class SubmissionHeaders
{
    public const string Tags = "X-SendApi-Tags";
    public const string MetadataPrefix = "X-SendApi-Metadata-";
    public const string IdempotencyKey = "Idempotency-Key";

    public static bool TryTake(MimeMessage message, out SubmissionOptions options, out string error)
    {
        options = new SubmissionOptions([], new Dictionary<string, string>(), null);
        var tags = new List<string>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        string? idempotencyKey = null;

        foreach (var header in message.Headers.ToList())
        {
            var value = header.Value.Trim();
            if (header.Field.Equals(Tags, StringComparison.OrdinalIgnoreCase))
            {
                tags.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
            else if (header.Field.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var name = header.Field[MetadataPrefix.Length..];
                if (!MessageRules.IsValidMetadataKey(name) || !MessageRules.IsValidMetadataValue(value))
                {
                    error = $"{header.Field}: {MessageRules.MetadataKeyRule} {MessageRules.MetadataValueRule}";
                    return false;
                }

                metadata[name] = value;
            }
            else if (header.Field.Equals(IdempotencyKey, StringComparison.OrdinalIgnoreCase))
            {
                if (!MessageRules.IsValidIdempotencyKey(value))
                {
                    error = MessageRules.IdempotencyKeyRule;
                    return false;
                }

                idempotencyKey = value;
            }
            else if (header.Id is not (HeaderId.Bcc or HeaderId.ResentBcc))
            {
                continue;
            }

            message.Headers.Remove(header);
        }

        if (tags.Count > MessageRules.MaxTags || tags.Any(t => !MessageRules.IsValidTag(t)))
        {
            error = $"{Tags}: at most {MessageRules.MaxTags}, comma-separated. {MessageRules.TagRule}";
            return false;
        }

        if (metadata.Count > MessageRules.MaxMetadataEntries)
        {
            error = $"At most {MessageRules.MaxMetadataEntries} {MetadataPrefix}* headers";
            return false;
        }

        options = new SubmissionOptions(tags.Distinct(StringComparer.Ordinal).ToList(), metadata, idempotencyKey);
        error = "";
        return true;
    }
}
