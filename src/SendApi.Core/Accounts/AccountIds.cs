namespace SendApi.Core.Accounts;

public static class AccountIds
{
    public const int MaxLength = 64;

    public const string Rule = "must be 1-64 characters: letters, digits, '_', '-', '.'.";

    /// <summary>
    /// Account ids become parts of store keys (<c>account:{id}:webhooks</c>), so they are checked
    /// character by character: no ':' and no line break, not even a final one.
    /// </summary>
    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= MaxLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
