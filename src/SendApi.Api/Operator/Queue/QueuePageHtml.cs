using System.Text;
using SendApi.Core.Queue;
using static SendApi.Api.Operator.Queue.Html;

namespace SendApi.Api.Operator.Queue;

/// <summary>The body of <c>/mail</c>, in the dashboard's Bootstrap markup; every value from mail is encoded.</summary>
internal static class QueuePageHtml
{
    public static string Render(
        string basePath,
        string antiforgeryField,
        QueueSnapshot snapshot,
        IReadOnlyList<DomainQueue> domains,
        IReadOnlyDictionary<string, DomainSlowdown> slowdowns,
        IReadOnlyList<RecentFailure> failures,
        (string Kind, string Text)? notice)
    {
        var html = new StringBuilder();
        html.Append("<div class=\"row\"><div class=\"col-md-12\"><h1 class=\"page-header\">Mail queue</h1>");
        if (notice is { } n)
        {
            html.Append("<div id=\"notice\" class=\"alert alert-").Append(E(n.Kind)).Append("\">").Append(E(n.Text)).Append("</div>");
        }

        Totals(html, snapshot);
        Domains(html, basePath, antiforgeryField, snapshot, domains, slowdowns);
        Failures(html, basePath, failures);
        html.Append("<h3>Find a message</h3><form id=\"find\" class=\"form-inline\" method=\"get\" action=\"").Append(E(basePath)).Append("/mail/find\">")
            .Append("<input class=\"form-control\" name=\"id\" placeholder=\"message id\" size=\"40\"> <button class=\"btn btn-default\">Open</button></form>");
        html.Append("</div></div>");
        return html.ToString();
    }

    private static void Totals(StringBuilder html, QueueSnapshot s)
    {
        var oldest = s.OldestCreatedAt is { } at ? Age(s.At - at) : "–";
        html.Append("<table id=\"totals\" class=\"table table-bordered\" style=\"width:auto\"><tbody>")
            .Append(Row("due-now", "Due now", Number(s.DueNow), "waiting for a delivery job"))
            .Append(Row("scheduled", "Scheduled for later", Number(s.ScheduledLater), "a retry after a temporary failure, or a domain's limit"))
            .Append(Row("in-flight", "In flight", Number(s.InFlight), "claimed by a delivery job right now"))
            .Append(Row("deferred", "Deferred", Number(s.DeferredMessages), "messages with a recipient waiting for a retry" + Of(s)))
            .Append(Row("oldest", "Oldest", oldest, "age of the oldest queued message" + Of(s)))
            .Append(Row("total", "Queued messages", Number(s.Messages), "every message with a recipient not yet final"))
            .Append("</tbody></table>");
    }

    private static string Row(string id, string name, string value, string note) =>
        $"<tr id=\"{id}\"><th>{E(name)}</th><td class=\"value\"><strong>{E(value)}</strong></td><td class=\"text-muted\">{E(note)}</td></tr>";

    private static string Of(QueueSnapshot s) => s.IsPartial ? $" (of the first {Number(s.Scanned)} by due time)" : "";

    private static void Domains(StringBuilder html, string basePath, string antiforgeryField, QueueSnapshot s, IReadOnlyList<DomainQueue> domains, IReadOnlyDictionary<string, DomainSlowdown> slowdowns)
    {
        html.Append("<h3>Destination domains</h3>");
        if (s.IsPartial)
        {
            html.Append("<p id=\"partial\" class=\"text-muted\">Counted over the first ").Append(Number(s.Scanned)).Append(" of ")
                .Append(Number(s.Messages)).Append(" queued messages by due time.</p>");
        }

        if (domains.Count == 0)
        {
            html.Append("<p id=\"no-domains\">Nothing is queued.</p>");
            return;
        }

        html.Append("<table id=\"domains\" class=\"table table-striped\"><thead><tr><th>Domain</th><th>Queued</th><th>Deferred</th><th>In flight</th>")
            .Append("<th>Oldest</th><th>Last reply</th><th>Next attempt</th><th>Throttle</th><th></th></tr></thead><tbody>");
        foreach (var d in domains)
        {
            var throttle = slowdowns.TryGetValue(d.Domain, out var slow)
                ? $"<span class=\"label label-warning\">{E(Percent(slow.Factor))}</span> until {Time(slow.Until)}"
                : "100 %";
            html.Append("<tr data-domain=\"").Append(E(d.Domain)).Append("\"><td class=\"domain\">").Append(E(d.Domain))
                .Append("</td><td class=\"queued\">").Append(Number(d.Queued))
                .Append("</td><td class=\"deferred\">").Append(Number(d.Deferred))
                .Append("</td><td class=\"in-flight\">").Append(Number(d.InFlight))
                .Append("</td><td>").Append(E(Age(s.At - d.OldestCreatedAt)))
                .Append("</td><td class=\"last-reply\">").Append(Reply(d.LastReply)).Append(d.LastReplyAt is null ? "" : "<br><small>" + Time(d.LastReplyAt) + "</small>")
                .Append("</td><td>").Append(Time(d.NextAttemptAt))
                .Append("</td><td class=\"throttle\">").Append(throttle)
                .Append("</td><td><form method=\"post\" action=\"").Append(E(basePath)).Append("/mail/retry\">").Append(antiforgeryField)
                .Append("<input type=\"hidden\" name=\"domain\" value=\"").Append(E(d.Domain)).Append("\">")
                .Append("<button class=\"btn btn-sm btn-primary retry\" title=\"Make this domain's waiting mail due now\">Retry now</button></form></td></tr>");
        }

        html.Append("</tbody></table>");
        if (s.Domains.Count > domains.Count)
        {
            html.Append("<p class=\"text-muted\">and ").Append(Number(s.Domains.Count - domains.Count)).Append(" more domains with less mail.</p>");
        }
    }

    private static void Failures(StringBuilder html, string basePath, IReadOnlyList<RecentFailure> failures)
    {
        html.Append("<h3>Recent failures and bounces</h3>");
        if (failures.Count == 0)
        {
            html.Append("<p id=\"no-failures\">None recently.</p>");
            return;
        }

        html.Append("<table id=\"failures\" class=\"table table-striped\"><thead><tr><th>When</th><th></th><th>Recipient</th><th>Reply</th><th>Detail</th><th>Message</th></tr></thead><tbody>");
        foreach (var f in failures)
        {
            html.Append("<tr><td>").Append(Time(f.Event.At))
                .Append("</td><td><span class=\"label label-danger\">").Append(E(f.Event.Type)).Append("</span>")
                .Append("</td><td>").Append(E(f.Event.Recipient))
                .Append("</td><td>").Append(Reply(f.Event.Reply))
                .Append("</td><td>").Append(E(f.Event.Detail))
                .Append("</td><td><a href=\"").Append(E(basePath)).Append("/mail/messages/").Append(E(Uri.EscapeDataString(f.MessageId))).Append("\"><code>")
                .Append(E(f.MessageId)).Append("</code></a></td></tr>");
        }

        html.Append("</tbody></table>");
    }
}
