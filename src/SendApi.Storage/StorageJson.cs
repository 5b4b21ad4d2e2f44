using System.Text.Json;
using System.Text.Json.Serialization;

namespace SendApi.Storage;

/// <summary>The one JSON shape used for records at rest, shared by both storage modes.</summary>
internal static class StorageJson
{
    private static readonly JsonNamingPolicy Naming = JsonNamingPolicy.SnakeCaseLower;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = Naming,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(Naming) },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>
    /// The same JSON as <see cref="Serialize{T}"/>, as the UTF-8 bytes Redis stores: for values
    /// written on every message, where a string would be built only to be encoded back to UTF-8.
    /// </summary>
    public static byte[] SerializeToUtf8<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"Stored {typeof(T).Name} is null.");

    /// <summary>As <see cref="Deserialize{T}(string)"/>, from the UTF-8 bytes as Redis returns them (no string in between).</summary>
    public static T DeserializeUtf8<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"Stored {typeof(T).Name} is null.");

    /// <summary>How a C# property is named in stored JSON (<c>AccountId</c> → <c>account_id</c>), for the scripts that read it.</summary>
    public static string PropertyName(string clrName) => Naming.ConvertName(clrName);

    /// <summary>How an enum value is written in stored JSON (<c>Bounced</c> → <c>bounced</c>).</summary>
    public static string EnumName<T>(T value) where T : struct, Enum => Naming.ConvertName(value.ToString());
}
