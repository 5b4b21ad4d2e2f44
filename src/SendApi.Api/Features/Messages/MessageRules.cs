using System.Text.RegularExpressions;

namespace SendApi.Api.Features.Messages;

/// <summary>Rules shared by every way a message comes in (HTTP JSON, SMTP headers).</summary>
internal static partial class MessageRules
{
    public const int MaxTags = 10;
    public const int MaxMetadataEntries = 20;
    public const int MaxMetadataValueLength = 500;

    public const string TagRule = "Tags are 1-64 characters: letters, digits, '_', '-', '.', ':'.";
    public const string MetadataKeyRule = "Metadata keys are 1-40 characters: letters, digits, '_', '-', '.'.";
    public const string MetadataValueRule = "Metadata values are strings of at most 500 characters without CR or LF.";
    public const string IdempotencyKeyRule = "Idempotency-Key is 1-255 printable ASCII characters without spaces";

    public static bool IsValidTag(string? tag) => tag is not null && Tag().IsMatch(tag);

    public static bool IsValidMetadataKey(string? key) => key is not null && MetadataKey().IsMatch(key);

    public static bool IsValidMetadataValue(string? value) =>
        value is not null && value.Length <= MaxMetadataValueLength && value.AsSpan().IndexOfAny('\r', '\n') < 0;

    public static bool IsValidIdempotencyKey(string key) => key.Length is > 0 and <= 255 && key.All(c => c is >= '!' and <= '~');

    // \A and \z, not ^ and $: .NET's $ also matches before a final "\n", which would let a line
    // break through. NonBacktracking: these run on client input.
    [GeneratedRegex(@"\A[A-Za-z0-9_.:-]{1,64}\z", RegexOptions.NonBacktracking)]
    private static partial Regex Tag();

    [GeneratedRegex(@"\A[A-Za-z0-9_.-]{1,40}\z", RegexOptions.NonBacktracking)]
    private static partial Regex MetadataKey();
}
