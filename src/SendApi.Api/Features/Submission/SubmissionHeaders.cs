using MimeKit;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Tracking;

namespace SendApi.Api.Features.Submission;

/// <summary>The SendApi options an SMTP client passes as headers, with the same rules as the JSON fields.</summary>
internal sealed record SubmissionOptions(IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Metadata, string? IdempotencyKey)
{
    /// <summary><c>X-SendApi-Unsubscribe</c> and <c>X-SendApi-Track</c>; unset where the headers are absent.</summary>
    public TrackingChoice Tracking { get; init; } = TrackingChoice.Default;
}

/// <summary>
/// Reads and removes the headers that carry SendApi options (<c>X-SendApi-Tags: a, b</c>,
/// <c>X-SendApi-Metadata-&lt;name&gt;: value</c>, <c>Idempotency-Key</c>, <c>X-SendApi-Unsubscribe: true</c>,
/// <c>X-SendApi-Track: opens, clicks</c>) and the Bcc headers, none of which may reach the recipients.
/// </summary>
internal static class SubmissionHeaders
{
    public const string Tags = "X-SendApi-Tags";
    public const string MetadataPrefix = "X-SendApi-Metadata-";
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary><c>true</c> or <c>false</c>: the JSON field <c>unsubscribe</c>.</summary>
    public const string Unsubscribe = "X-SendApi-Unsubscribe";

    /// <summary>
    /// What to track, comma-separated: <c>opens</c>, <c>clicks</c>, or <c>none</c>; what it does not
    /// name is off (the JSON fields <c>track_opens</c>, <c>track_clicks</c>).
    /// </summary>
    public const string Track = "X-SendApi-Track";

    /// <summary>The option headers a request may carry beside a raw message (<c>POST /messages/raw</c>).</summary>
    public static bool IsOption(string name) =>
        name.Equals(Tags, StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase)
        || name.Equals(IdempotencyKey, StringComparison.OrdinalIgnoreCase)
        || name.Equals(Unsubscribe, StringComparison.OrdinalIgnoreCase)
        || name.Equals(Track, StringComparison.OrdinalIgnoreCase);

    public static bool TryTake(MimeMessage message, out SubmissionOptions options, out string error)
    {
        options = new SubmissionOptions([], new Dictionary<string, string>(), null);
        var tags = new List<string>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        string? idempotencyKey = null;
        var tracking = TrackingChoice.Default;

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
            else if (header.Field.Equals(Unsubscribe, StringComparison.OrdinalIgnoreCase))
            {
                if (!bool.TryParse(value, out var on))
                {
                    error = $"{Unsubscribe}: true or false";
                    return false;
                }

                tracking = tracking with { Unsubscribe = on };
            }
            else if (header.Field.Equals(Track, StringComparison.OrdinalIgnoreCase))
            {
                if (!TryReadTrack(value, out var opens, out var clicks))
                {
                    error = $"{Track}: opens, clicks (comma-separated) or none";
                    return false;
                }

                tracking = tracking with { Opens = opens, Clicks = clicks };
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

        options = new SubmissionOptions(tags.Distinct(StringComparer.Ordinal).ToList(), metadata, idempotencyKey) { Tracking = tracking };
        error = "";
        return true;
    }

    private static bool TryReadTrack(string value, out bool opens, out bool clicks)
    {
        opens = clicks = false;
        var words = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var word in words)
        {
            if (word.Equals("opens", StringComparison.OrdinalIgnoreCase))
            {
                opens = true;
            }
            else if (word.Equals("clicks", StringComparison.OrdinalIgnoreCase))
            {
                clicks = true;
            }
            else if (!word.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return words.Length > 0;
    }
}
