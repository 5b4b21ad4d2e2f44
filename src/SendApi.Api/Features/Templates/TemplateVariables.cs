using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace SendApi.Api.Features.Templates;

/// <summary>
/// A request's <c>variables</c> as Handlebars.Net reads them: objects become dictionaries and arrays
/// lists whose every element read is a step of <see cref="RenderScope"/>, so that a loop costs
/// what it iterates and a nested loop over large variables runs out of budget instead of CPU.
/// Numbers keep the form they were sent in as far as decimal allows ("1.50" stays 1.50).
/// </summary>
internal static class TemplateVariables
{
    /// <summary>The root object: <paramref name="overrides"/> (a recipient's) win over <paramref name="variables"/> (the message's), key by key at the top level.</summary>
    public static IDictionary<string, object?> Root(
        IReadOnlyDictionary<string, JsonElement>? variables, IReadOnlyDictionary<string, JsonElement>? overrides = null)
    {
        var root = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in variables ?? new Dictionary<string, JsonElement>())
        {
            root[key] = Convert(value);
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, JsonElement>())
        {
            root[key] = Convert(value);
        }

        return new CountedObject(root);
    }

    /// <summary><paramref name="root"/> with one more top-level value (a layout's <c>body</c>), sharing everything else.</summary>
    public static IDictionary<string, object?> With(IDictionary<string, object?> root, string key, string value)
    {
        var members = new Dictionary<string, object?>(((CountedObject)root).Members, StringComparer.Ordinal) { [key] = value };
        return new CountedObject(members);
    }

    /// <summary>The characters of a variables object's JSON, as the size limit counts them.</summary>
    public static long Length(IReadOnlyDictionary<string, JsonElement>? variables) =>
        variables?.Sum(v => v.Key.Length + 4L + v.Value.GetRawText().Length) ?? 0;

    private static object? Convert(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => new CountedObject(value.EnumerateObject().GroupBy(p => p.Name).ToDictionary(g => g.Key, g => Convert(g.Last().Value), StringComparer.Ordinal)),
        JsonValueKind.Array => new CountedList([.. value.EnumerateArray().Select(Convert)]),
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out var n) ? n : value.TryGetDecimal(out var d) ? d : value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private sealed class CountedList(List<object?> items) : IReadOnlyList<object?>
    {
        public object? this[int index]
        {
            get
            {
                RenderScope.Step();
                return items[index];
            }
        }

        public int Count => items.Count;

        public IEnumerator<object?> GetEnumerator()
        {
            foreach (var item in items)
            {
                RenderScope.Step();
                yield return item;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Read-only; a lookup by name is not counted (a template's lookups are bounded by its tags), iterating is.</summary>
    private sealed class CountedObject(Dictionary<string, object?> members) : IDictionary<string, object?>
    {
        public IReadOnlyDictionary<string, object?> Members => members;

        public object? this[string key]
        {
            get => members[key];
            set => throw new NotSupportedException();
        }

        public ICollection<string> Keys
        {
            get
            {
                for (var k = 0; k < members.Count; k++)
                {
                    RenderScope.Step();
                }

                return members.Keys;
            }
        }

        public ICollection<object?> Values => members.Values;

        public int Count => members.Count;

        public bool IsReadOnly => true;

        public bool ContainsKey(string key) => members.ContainsKey(key);

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value) => members.TryGetValue(key, out value);

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            foreach (var member in members)
            {
                RenderScope.Step();
                yield return member;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public bool Contains(KeyValuePair<string, object?> item) => ((ICollection<KeyValuePair<string, object?>>)members).Contains(item);

        public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex) => ((ICollection<KeyValuePair<string, object?>>)members).CopyTo(array, arrayIndex);

        public void Add(string key, object? value) => throw new NotSupportedException();

        public void Add(KeyValuePair<string, object?> item) => throw new NotSupportedException();

        public bool Remove(string key) => throw new NotSupportedException();

        public bool Remove(KeyValuePair<string, object?> item) => throw new NotSupportedException();

        public void Clear() => throw new NotSupportedException();
    }
}
