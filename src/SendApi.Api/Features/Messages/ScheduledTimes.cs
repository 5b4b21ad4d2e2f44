using System.Globalization;
using System.Text.RegularExpressions;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// <c>scheduled_at</c> as RFC 3339 writes it: a full date and time with its offset (Z or ±hh:mm).
/// .NET's parser alone would also take "12/01/2026" or a time without an offset, read in the
/// server's zone: a message then goes out hours off, which is worse than a 400.
/// </summary>
internal static partial class ScheduledTimes
{
    public static bool TryParse(string? text, out DateTimeOffset at)
    {
        at = default;
        return text is not null
            && Rfc3339().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out at);
    }

    // NonBacktracking: client input.
    [GeneratedRegex(@"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.NonBacktracking)]
    private static partial Regex Rfc3339();
}
