using System.Globalization;

namespace SendApi.Storage.Redis;

/// <summary>
/// Writes C# values into script text, so that a limit, a window or a status name is stated once in
/// C# and the scripts are built from it when their class is first used (the text never changes
/// afterwards, so StackExchange.Redis still caches each script by its SHA).
/// </summary>
internal static class Lua
{
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A single-quoted Lua string literal.</summary>
    public static string String(string value) =>
        value.Any(char.IsControl)
            ? throw new ArgumentException($"'{value}' is not meant for a script: it holds a control character.", nameof(value))
            : "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>A table used as a set: <c>{ ['a'] = true, ['b'] = true }</c>; an empty one is <c>{ }</c>.</summary>
    public static string SetOf(IEnumerable<string> members) =>
        "{" + string.Join(",", members.Select(m => $" [{String(m)}] = true")) + " }";
}
