using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SendApi.Api.Http;

/// <summary>
/// Turns System.Text.Json's refusal of a request body into field errors keyed by JSON path, the
/// same keys the validators use (<c>to</c>, <c>attachments[0].filename</c>, <c>headers.X-Foo</c>).
/// The serializer's own messages name .NET types (<c>SendApi.Api.Features.Messages.SendMessageRequest</c>),
/// which mean nothing to a client and are never shown.
/// </summary>
internal static class JsonBodyErrors
{
    public const string UnknownField = "unknown field";
    public const string DuplicateField = "duplicate field";

    /// <summary>
    /// The errors for a body that is JSON but does not fit <paramref name="requestType"/>; null when
    /// the body is not JSON at all (a syntax error, answered with the reader's message instead).
    /// </summary>
    public static Dictionary<string, string[]>? Describe(JsonException error, Type? requestType, JsonSerializerOptions options)
    {
        // The reader's own exceptions derive from JsonException: the text is not JSON.
        if (error.InnerException is JsonException)
        {
            return null;
        }

        var segments = Segments(error.Path ?? "$");
        var key = Key(segments);
        var target = requestType is null ? null : Resolve(requestType, segments, options);
        var message = target switch
        {
            // There is no error code to tell a duplicate from a wrong type: only the message does.
            _ when error.Message.StartsWith("Duplicate propert", StringComparison.Ordinal) => DuplicateField,
            { Unknown: true } => UnknownField,
            { } found => $"must be {Kind(found.Type, found.Converter)}",
            null => "has a value of the wrong type",
        };
        return new Dictionary<string, string[]> { [key] = [message] };
    }

    private sealed record Target(Type Type, JsonConverter? Converter, bool Unknown);

    /// <summary>Follows the path through the request type's JSON contract; an unmatched name is an unknown field.</summary>
    private static Target? Resolve(Type root, IReadOnlyList<Segment> segments, JsonSerializerOptions options)
    {
        var current = new Target(root, null, false);
        foreach (var segment in segments)
        {
            var type = Nullable.GetUnderlyingType(current.Type) ?? current.Type;
            if (segment.Index is not null)
            {
                if (ElementType(type) is not { } element)
                {
                    return null;
                }

                current = new Target(element, null, false);
                continue;
            }

            if (DictionaryValueType(type) is { } value)
            {
                current = new Target(value, null, false);
                continue;
            }

            if (type == typeof(string) || type.IsPrimitive)
            {
                return null;
            }

            var info = options.GetTypeInfo(type);
            if (info.Kind != JsonTypeInfoKind.Object)
            {
                return null;
            }

            var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, segment.Name, comparison));
            if (property is null)
            {
                return new Target(type, null, true);
            }

            current = new Target(property.PropertyType, property.CustomConverter, false);
        }

        return current;
    }

    private static string Kind(Type type, JsonConverter? converter)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return converter switch
        {
            StringOrArrayConverter => "a string or an array of strings",
            RecipientListConverter => "an address, a recipient object {email, name, variables} or an array of them",
            _ when type == typeof(string) || type == typeof(Features.Messages.BodyContent) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type.IsPrimitive || type == typeof(decimal) => "a number",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (RFC 3339)",
            _ when DictionaryValueType(type) == typeof(string) => "an object whose values are strings",
            _ when DictionaryValueType(type) is not null => "an object",
            _ when ElementType(type) == typeof(string) => "an array of strings",
            _ when ElementType(type) is not null => "an array",
            _ => "an object",
        };
    }

    private static Type? DictionaryValueType(Type type) =>
        Generic(type, typeof(IReadOnlyDictionary<,>)) is { } readOnly ? readOnly.GetGenericArguments()[1]
        : Generic(type, typeof(IDictionary<,>)) is { } dictionary ? dictionary.GetGenericArguments()[1]
        : null;

    private static Type? ElementType(Type type) =>
        type == typeof(string) || DictionaryValueType(type) is not null ? null
        : type.IsArray ? type.GetElementType()
        : Generic(type, typeof(IEnumerable<>))?.GetGenericArguments()[0]
            ?? (typeof(IEnumerable).IsAssignableFrom(type) ? typeof(object) : null);

    private static Type? Generic(Type type, Type definition) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == definition
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);

    /// <summary>One step of a path: a name (property or dictionary key) or an array index.</summary>
    private readonly record struct Segment(string Name, int? Index);

    /// <summary>
    /// Splits System.Text.Json's paths: <c>$.attachments[0].filename</c>, and
    /// <c>$.headers['X.Odd']</c> for names that are not plain identifiers.
    /// </summary>
    private static List<Segment> Segments(string path)
    {
        var segments = new List<Segment>();
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(new Segment(path[(i + 1)..end], null));
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                segments.Add(new Segment(path[(i + 2)..end].Replace("\\'", "'", StringComparison.Ordinal), null));
                i = Math.Min(path.Length, end + 2);
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                end = end < 0 ? path.Length : end;
                segments.Add(int.TryParse(path.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    ? new Segment("", index)
                    : new Segment(path[(i + 1)..end], null));
                i = Math.Min(path.Length, end + 1);
            }
            else
            {
                // Not a path this parser knows: keep the rest whole rather than guess.
                segments.Add(new Segment(path[i..], null));
                break;
            }
        }

        return segments;
    }

    /// <summary>The validators' key for a path: names joined by '.', indexes in brackets; "$" for the body itself.</summary>
    private static string Key(IReadOnlyList<Segment> segments)
    {
        if (segments.Count == 0)
        {
            return "$";
        }

        var key = new StringBuilder();
        foreach (var segment in segments)
        {
            if (segment.Index is { } index)
            {
                key.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                key.Append(key.Length == 0 ? "" : ".").Append(segment.Name);
            }
        }

        return key.ToString();
    }
}
