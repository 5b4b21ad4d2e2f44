using System.Globalization;

namespace SendApi.Core;

/// <summary>
/// Parses the durations operators write in configuration: "90s", "15m", "48h", "2d", "500ms",
/// or a TimeSpan ("00:05:00"). Hours beyond 23 are legal here ("48h"), unlike TimeSpan.Parse.
/// </summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        (string unit, double seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];
        foreach (var (unit, seconds) in units)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && n >= 0 && double.IsFinite(n))
            {
                value = TimeSpan.FromSeconds(n * seconds);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    public static TimeSpan Parse(string text, string settingName) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"{settingName}: '{text}' is not a duration (examples: 90s, 15m, 48h, 2d, 00:05:00).");

    /// <summary>Parses a comma-separated list, e.g. "1m,5m,15m,1h,4h".</summary>
    public static bool TryParseList(string? text, out IReadOnlyList<TimeSpan> values)
    {
        var list = new List<TimeSpan>();
        values = list;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParse(part, out var value))
            {
                return false;
            }

            list.Add(value);
        }

        return list.Count > 0;
    }
}
