using System.Globalization;
using System.Net;
using SendApi.Core.Messages;

namespace SendApi.Api.Operator.Queue;

/// <summary>Encoding and formatting for the mail pages: every value that comes from mail goes through <see cref="E"/>.</summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A time as an encoded <c>&lt;time&gt;</c> element, UTC to the second.</summary>
    public static string Time(DateTimeOffset? at) => at is { } t
        ? $"<time datetime=\"{E(t.ToString("O", CultureInfo.InvariantCulture))}\">{E(t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))} UTC</time>"
        : "<span class=\"text-muted\">–</span>";

    // Figures are written the same whatever the server's locale (LANG): the page is the same for every operator.
    public static string Age(TimeSpan age) =>
        age.TotalSeconds < 90 ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)age.TotalSeconds)} s")
        : age.TotalMinutes < 90 ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes} min")
        : age.TotalHours < 48 ? string.Create(CultureInfo.InvariantCulture, $"{age.TotalHours:0.#} h")
        : string.Create(CultureInfo.InvariantCulture, $"{age.TotalDays:0.#} days");

    /// <summary>A factor as a whole percentage, "50 %".</summary>
    public static string Percent(double factor) => factor.ToString("P0", CultureInfo.InvariantCulture);

    public static string Reply(SmtpReply? reply) => reply is null ? "<span class=\"text-muted\">–</span>" : $"<code>{E(reply.ToString())}</code>";

    public static string Number(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
