using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// What the HTTP fuzz sends in place of good values: fixed hostile values (types, sizes, line
/// breaks, separators that store keys use, Unicode) and seeded random strings.
/// </summary>
internal sealed class HttpFuzzInputs(int seed)
{
    // Characters that mean something to a store key, a header, a path, JSON or a terminal.
    private const string Pool = "abcXYZ019_-.:/\\\"'<>@%?#&=+ \t\r\né𝄞🙂\u202e\u00a0．。\u0085\u2028";

    private readonly Random _random = new(seed);

    /// <summary>
    /// Replacements for a path parameter, given a valid value. Not "\0": Kestrel refuses a NUL in
    /// the path itself (400 without a body) before any of SendApi's code runs.
    /// </summary>
    public IEnumerable<string> PathValues(string valid)
    {
        string[] fixedValues =
        [
            valid, valid + ":events", valid + ":mime", valid + ":deliveries:order", valid + ":raw", ":", "a:b",
            "/", "a/b", "\n", valid + "\n", "\r\n", valid + "\r\nX: y", "..", "", " ", "0", "-1", "99999999999999999999",
            "1e9", new string('x', 4000), "é🙂", "ｍｓｇ", valid.ToUpperInvariant(), valid + " ", "%", "%2", "\"x\"@nullmx.test",
        ];
        return fixedValues.Concat(Enumerable.Range(0, 10).Select(_ => RandomString(64)));
    }

    public IEnumerable<string> QueryValues() =>
        new[] { "", "abc", "-1", "0", "1", "500", "1001", "99999999999", "1.5", "\n", ":", "a:b", new string('9', 400), "é🙂", "(", "[", "-", "+" }
            .Concat(Enumerable.Range(0, 4).Select(_ => RandomString(40)));

    /// <summary>Header values HttpClient will send (no CR, LF or non-ASCII).</summary>
    public IEnumerable<string> HeaderValues() =>
        ["", " ", "a b", ":", new string('k', 300), "order-1", "\t", "k\u007f"];

    /// <summary>Values for a JSON field: every type, sizes, line breaks, odd Unicode, address-shaped strings.</summary>
    public IEnumerable<JsonNode?> JsonValues()
    {
        JsonNode?[] fixedValues =
        [
            12345, -1, 1.5e308, true, false, null,
            new JsonObject(), new JsonObject { ["nested"] = new JsonObject { ["deep"] = new JsonArray(1, new JsonObject { ["x"] = null }) } },
            new JsonArray(), new JsonArray(1, "a", null, new JsonObject()),
            "", " ", new string('a', 200_000), "line\r\nBcc: victim@example.test", "end\n", "é🙂\u0000\u202e",
            "\"quoted\"@nullmx.test", new string('a', 300) + "@nullmx.test", "a:b", "2026-13-45T99:99:99Z",
        ];
        return fixedValues.Concat(Enumerable.Range(0, 4).Select(_ => (JsonNode?)RandomString(80)));
    }

    /// <summary>What the client says it accepts; the API answers problem+json to all of them.</summary>
    public string? Accept() => _random.Next(5) switch
    {
        0 => "text/html",
        1 => "application/xml",
        2 => "*/*",
        3 => "application/json",
        _ => null,
    };

    /// <summary>A random pick among <see cref="JsonValues"/>, for requests that change several fields at once.</summary>
    public JsonNode? RandomJsonValue()
    {
        var values = JsonValues().ToList();
        return values[_random.Next(values.Count)];
    }

    public int Next(int maxValue) => _random.Next(maxValue);

    /// <summary>Property names to add to an object: unknown, empty, with line breaks, store separators, long, Unicode.</summary>
    public IEnumerable<string> JsonKeys() =>
        new[] { "zzz_unknown", "", "X-Campaign\n", "a:b", new string('k', 2000), "é🙂", "__proto__" }.Concat([RandomString(30)]);

    /// <summary>Whole bodies that are not the request at all.</summary>
    public static IEnumerable<(string Description, byte[] Body, string? ContentType)> WholeBodies()
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        const string json = "application/json";
        return
        [
            ("empty", [], json),
            ("null", Utf8("null"), json),
            ("array", Utf8("[]"), json),
            ("string", Utf8("\"x\""), json),
            ("number", Utf8("5"), json),
            ("truncated", Utf8("{\"a\":"), json),
            ("trailing garbage", Utf8("{}}"), json),
            ("deep nesting", Utf8(new string('[', 5000) + new string(']', 5000)), json),
            ("invalid UTF-8", [(byte)'{', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)':', (byte)'1', (byte)'}'], json),
            ("lone surrogate escape", Utf8("{\"a\":\"\\ud800\"}"), json),
            ("BOM", [0xef, 0xbb, 0xbf, (byte)'{', (byte)'}'], json),
            ("form", Utf8("a=b"), "application/x-www-form-urlencoded"),
            ("text", Utf8("{}"), "text/plain"),
            ("no content type", Utf8("{}"), null),
            ("UTF-16 JSON", Encoding.Unicode.GetBytes("{}"), "application/json; charset=utf-16"),
            ("unknown charset", Utf8("{}"), "application/json; charset=x-no-such-charset"),
            ("UTF-7 charset", Utf8("{}"), "application/json; charset=utf-7"),
        ];
    }

    /// <summary>Every value position of <paramref name="node"/> (property values and array items), as a path of steps.</summary>
    public static IEnumerable<IReadOnlyList<object>> Positions(JsonNode node, List<object>? prefix = null)
    {
        prefix ??= [];
        IEnumerable<(object Step, JsonNode? Child)> children = node switch
        {
            JsonObject o => o.Select(p => ((object)p.Key, p.Value)),
            JsonArray a => a.Select((c, i) => ((object)i, c)),
            _ => [],
        };
        foreach (var (step, child) in children)
        {
            List<object> path = [.. prefix, step];
            yield return path;
            if (child is not null)
            {
                foreach (var deeper in Positions(child, path))
                {
                    yield return deeper;
                }
            }
        }
    }

    /// <summary>Every object in <paramref name="node"/> (itself included), as a path of steps.</summary>
    public static IEnumerable<IReadOnlyList<object>> Objects(JsonNode node) =>
        new[] { (IReadOnlyList<object>)[] }.Concat(Positions(node)).Where(p => At(node, p) is JsonObject);

    /// <summary>Whether <paramref name="path"/> still leads somewhere in <paramref name="root"/> (an earlier change may have replaced a parent).</summary>
    public static bool Reaches(JsonNode root, IReadOnlyList<object> path)
    {
        JsonNode? node = root;
        foreach (var step in path)
        {
            switch (node, step)
            {
                case (JsonArray array, int index) when index < array.Count:
                    node = array[index];
                    break;
                case (JsonObject obj, string key) when obj.ContainsKey(key):
                    node = obj[key];
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    public static JsonNode? At(JsonNode root, IReadOnlyList<object> path) =>
        path.Aggregate((JsonNode?)root, (node, step) => step is int i ? node![i] : node![(string)step]);

    /// <summary>A copy of <paramref name="root"/> with the value at <paramref name="path"/> replaced.</summary>
    public static JsonNode Replace(JsonNode root, IReadOnlyList<object> path, JsonNode? value)
    {
        var copy = root.DeepClone();
        var parent = At(copy, path.Take(path.Count - 1).ToList())!;
        if (path[^1] is int index)
        {
            parent.AsArray()[index] = value?.DeepClone();
        }
        else
        {
            parent.AsObject()[(string)path[^1]] = value?.DeepClone();
        }

        return copy;
    }

    /// <summary>The body's text with the object at <paramref name="path"/> given its first property twice.</summary>
    public static string? WithDuplicateKey(JsonNode root, IReadOnlyList<object> path)
    {
        if (At(root, path) is not JsonObject { Count: > 0 } target)
        {
            return null;
        }

        var (key, value) = target.First();
        var duplicated = target.ToJsonString().Insert(1, $"{JsonSerializer.Serialize(key)}:{value?.ToJsonString() ?? "null"},");
        if (path.Count == 0)
        {
            return duplicated;
        }

        const string marker = "\"__fuzz_duplicate__\"";
        return Replace(root, path, JsonValue.Create("__fuzz_duplicate__")).ToJsonString().Replace(marker, duplicated, StringComparison.Ordinal);
    }

    public static string Describe(IReadOnlyList<object> path) =>
        path.Count == 0 ? "$" : string.Concat(path.Select(s => s is int i ? $"[{i}]" : $".{s}"));

    private string RandomString(int maxLength)
    {
        var length = _random.Next(0, maxLength + 1);
        var text = new StringBuilder();
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(Pool);
        var units = new List<string>();
        while (elements.MoveNext())
        {
            units.Add(elements.GetTextElement());
        }

        for (var i = 0; i < length; i++)
        {
            text.Append(units[_random.Next(units.Count)]);
        }

        return text.ToString();
    }
}
