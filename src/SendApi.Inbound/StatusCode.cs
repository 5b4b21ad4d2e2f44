using System.Globalization;
using System.Text.RegularExpressions;

namespace SendApi.Inbound;

/// <summary>An RFC 3463 enhanced status code: class.subject.detail.</summary>
internal readonly partial record struct StatusCode(int Class, int Subject, int Detail)
{
    /// <summary>x.0.0 says only "success", "temporary" or "permanent": the diagnostic may say more.</summary>
    public bool IsGeneric => Subject == 0 && Detail == 0;

    public override string ToString() => $"{Class}.{Subject}.{Detail}";

    /// <summary>A Status field: the code, possibly followed by a comment ("5.1.1 (bad destination mailbox)").</summary>
    public static StatusCode? Parse(string? value)
    {
        var match = value is null ? null : Pattern().Match(value.TrimStart());
        return match is { Success: true, Index: 0 } ? From(match) : null;
    }

    /// <summary>The first enhanced code in free text, e.g. in <c>550-5.1.1 The email account … does not exist</c>.</summary>
    public static StatusCode? Find(string? text)
    {
        var match = text is null ? null : Pattern().Match(text);
        return match is { Success: true } ? From(match) : null;
    }

    private static StatusCode From(Match match) => new(
        int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture),
        int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture),
        int.Parse(match.Groups[3].ValueSpan, CultureInfo.InvariantCulture));

    // RFC 3463: subject and detail have at most three digits; the lookarounds keep IP addresses and
    // version numbers ("192.0.2.1", "1.2.3.4") from passing for a code.
    [GeneratedRegex(@"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")]
    private static partial Regex Pattern();
}
