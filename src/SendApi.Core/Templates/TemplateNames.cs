using System.Text.RegularExpressions;

namespace SendApi.Core.Templates;

/// <summary>
/// A template's name is its alias in URLs (<c>/templates/{name}</c>) and in sends: letters,
/// digits, '.', '_' and '-', starting with a letter or digit (so never "." or ".."), at most 64.
/// Case matters, as it does in the URL.
/// </summary>
public static partial class TemplateNames
{
    public const string Rule = "must be 1-64 characters: letters, digits, '.', '_' and '-', starting with a letter or digit.";

    public static bool IsValid(string? name) => name is not null && Name().IsMatch(name);

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z", RegexOptions.NonBacktracking)]
    private static partial Regex Name();
}
