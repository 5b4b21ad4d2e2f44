using System.Text.Json;
using System.Text.Json.Serialization;

namespace SendApi.Api.Http;

/// <summary>
/// <c>to</c> as a list of addresses that may carry per-recipient template variables: each entry is
/// "addr@x.test", "Name &lt;addr@x.test&gt;" or <c>{"email": "addr@x.test", "name": "Ann", "variables": {...}}</c>,
/// and a single entry may stand without the array. The list stays a list of address strings, so
/// everything that reads <c>to</c> as addresses (validator, composer, other request shapes that
/// build a <c>SendMessageRequest</c>) is unchanged; the variables ride along in <see cref="RecipientList"/>.
/// </summary>
internal sealed class RecipientListConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var list = new RecipientList();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            ReadEntry(ref reader, options, list);
            return list;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ReadEntry(ref reader, options, list);
        }

        return list;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        for (var i = 0; i < value.Count; i++)
        {
            if (value is RecipientList { } list && list.VariablesOf(i) is { } variables)
            {
                writer.WriteStartObject();
                writer.WriteString("email", value[i]);
                writer.WritePropertyName("variables");
                JsonSerializer.Serialize(writer, variables, options);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteStringValue(value[i]);
            }
        }

        writer.WriteEndArray();
    }

    private static void ReadEntry(ref Utf8JsonReader reader, JsonSerializerOptions options, RecipientList list)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                list.Add(reader.GetString()!, null);
                break;
            case JsonTokenType.StartObject:
                RecipientEntry entry;
                try
                {
                    entry = JsonSerializer.Deserialize<RecipientEntry>(ref reader, options)!;
                }
                catch (JsonException)
                {
                    // Its path would be the object's own ("$.emial"); without one, the error is reported at "to".
                    throw new JsonException("A recipient object has \"email\", \"name\" and \"variables\".");
                }

                if (entry.Email is null)
                {
                    throw new JsonException("A recipient object needs an \"email\".");
                }

                list.Add(entry.Name is null ? entry.Email : $"\"{entry.Name.Replace("\\", "\\\\").Replace("\"", "\\\"")}\" <{entry.Email}>", entry.Variables);
                break;
            default:
                throw new JsonException("Expected an address, a recipient object or an array of them.");
        }
    }

    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    private sealed record RecipientEntry(string? Email, string? Name, IReadOnlyDictionary<string, JsonElement>? Variables);
}

/// <summary>The addresses of <c>to</c>, in order, with the template variables each was given (null for none).</summary>
internal sealed class RecipientList : List<string>
{
    private readonly List<IReadOnlyDictionary<string, JsonElement>?> _variables = [];

    public bool HasVariables => _variables.Any(v => v is not null);

    public void Add(string address, IReadOnlyDictionary<string, JsonElement>? variables)
    {
        // Addresses added without variables (List.Add) keep their places: none.
        while (_variables.Count < Count)
        {
            _variables.Add(null);
        }

        Add(address);
        _variables.Add(variables);
    }

    public IReadOnlyDictionary<string, JsonElement>? VariablesOf(int index) => index < _variables.Count ? _variables[index] : null;
}
