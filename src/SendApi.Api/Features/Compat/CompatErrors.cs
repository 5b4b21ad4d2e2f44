using System.Text;

namespace SendApi.Api.Features.Compat;

/// <summary>Field errors as one sentence, for providers whose error has a single message.</summary>
internal static class CompatErrors
{
    public static string Describe(IEnumerable<KeyValuePair<string, string[]>> errors)
    {
        var text = new StringBuilder();
        foreach (var (field, messages) in errors)
        {
            foreach (var message in messages)
            {
                text.Append(text.Length == 0 ? "" : " ").Append(field == "$" ? "" : $"{field}: ").Append(message.TrimEnd('.')).Append('.');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Our error key (<c>to[0]</c>, <c>headers.X-A</c>, <c>attachments[1].content_type</c>) in a
    /// provider's names: the first segment through <paramref name="fields"/>, an attachment's
    /// field through <paramref name="attachmentFields"/>; what has no entry keeps its name.
    /// </summary>
    public static string Rename(string key, IReadOnlyDictionary<string, string> fields, IReadOnlyDictionary<string, string>? attachmentFields = null)
    {
        var end = key.IndexOfAny(['.', '[']);
        var (head, rest) = end < 0 ? (key, "") : (key[..end], key[end..]);
        if (head == "attachments" && attachmentFields is not null && rest.IndexOf("].", StringComparison.Ordinal) is var dot and > 0
            && attachmentFields.TryGetValue(rest[(dot + 2)..], out var field))
        {
            rest = rest[..(dot + 2)] + field;
        }

        return (fields.TryGetValue(head, out var renamed) ? renamed : head) + rest;
    }

    /// <summary>Each error key renamed with <paramref name="rename"/>, and prefixed (a batch item's <c>[3]</c>).</summary>
    public static Dictionary<string, string[]> Renamed(IReadOnlyDictionary<string, string[]> errors, Func<string, string> rename, string prefix = "")
    {
        var result = new Dictionary<string, string[]>();
        foreach (var (key, messages) in errors)
        {
            var renamed = key == "$" ? (prefix.Length > 0 ? "" : "$") : rename(key);
            var name = prefix.Length == 0 || renamed.Length == 0 || renamed.StartsWith('[') ? prefix + renamed : $"{prefix}.{renamed}";
            result[name] = result.TryGetValue(name, out var earlier) ? [.. earlier, .. messages] : messages;
        }

        return result;
    }
}
