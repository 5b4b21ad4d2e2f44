using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace SendApi.Api.Operator.Queue;

/// <summary>
/// What an action did, carried in the redirect's query (<c>?done=retried&amp;count=3&amp;domain=…</c>)
/// and said in fixed words on the page it lands on; the values are encoded like everything else.
/// </summary>
internal static class QueueNotices
{
    public const string Retried = "retried";
    public const string Cancelled = "cancelled";
    public const string InFlight = "in_flight";
    public const string AlreadyFinished = "finished";

    public static string Query(string done, params (string Name, string Value)[] values) =>
        "?done=" + Uri.EscapeDataString(done) + string.Concat(values.Select(v => $"&{v.Name}={Uri.EscapeDataString(v.Value)}"));

    /// <summary>The notice for the query (an alert's class and its text), or null.</summary>
    public static (string Kind, string Text)? From(IQueryCollection query)
    {
        var count = int.TryParse(query["count"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return query["done"].ToString() switch
        {
            Retried => count == 0
                ? ("info", $"Nothing at {query["domain"]} was waiting for a later attempt (or it is in flight right now).")
                : ("success", $"{count} message(s) to {query["domain"]} are due now; delivery has been woken up."),
            Cancelled => ("success", "Canceled: every recipient that was not final is now canceled, with an event in the timeline (and a message.canceled webhook)."),
            InFlight => ("warning", "Not cancelled: a delivery job is sending this message right now, and cancelling would race its SMTP transaction. Try again once the attempt is recorded."),
            AlreadyFinished => ("info", "Nothing to cancel: every recipient is already final."),
            _ => null,
        };
    }
}
