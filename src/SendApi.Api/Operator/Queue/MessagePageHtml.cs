using System.Globalization;
using System.Text;
using SendApi.Core.Messages;
using static SendApi.Api.Operator.Queue.Html;

namespace SendApi.Api.Operator.Queue;

/// <summary>The body of a message's page: envelope, recipients, timeline, and the cancel button while something is left to send.</summary>
internal static class MessagePageHtml
{
    public static string Render(string basePath, string antiforgeryField, StoredMessage message, (string Kind, string Text)? notice)
    {
        var envelope = message.Envelope;
        var html = new StringBuilder();
        html.Append("<div class=\"row\"><div class=\"col-md-12\"><h1 class=\"page-header\">Message <code id=\"message-id\">").Append(E(envelope.Id)).Append("</code></h1>");
        html.Append("<p><a href=\"").Append(E(basePath)).Append("/mail\">← Mail queue</a></p>");
        if (notice is { } n)
        {
            html.Append("<div id=\"notice\" class=\"alert alert-").Append(E(n.Kind)).Append("\">").Append(E(n.Text)).Append("</div>");
        }

        html.Append("<table id=\"envelope\" class=\"table table-bordered\" style=\"width:auto\"><tbody>")
            .Append("<tr><th>Subject</th><td id=\"subject\">").Append(E(envelope.Subject)).Append("</td></tr>")
            .Append("<tr><th>From</th><td>").Append(E(envelope.From)).Append("</td></tr>")
            .Append("<tr><th>Envelope sender</th><td>").Append(E(envelope.Sender)).Append("</td></tr>")
            .Append("<tr><th>Account</th><td>").Append(E(envelope.AccountId)).Append("</td></tr>")
            .Append("<tr><th>Accepted</th><td>").Append(Time(envelope.CreatedAt)).Append("</td></tr>")
            .Append("<tr><th>Size</th><td>").Append(E(envelope.Size.ToString("N0", CultureInfo.InvariantCulture))).Append(" octets</td></tr>")
            .Append("<tr><th>Message-ID</th><td>").Append(E(envelope.MessageIdHeader)).Append("</td></tr>")
            .Append("</tbody></table>");

        html.Append("<h3>Recipients</h3><table id=\"recipients\" class=\"table table-striped\"><thead><tr><th>Address</th><th>Type</th><th>Status</th><th>Attempts</th><th>Last reply</th><th>Next attempt</th></tr></thead><tbody>");
        for (var i = 0; i < envelope.Recipients.Count; i++)
        {
            var r = envelope.Recipients[i];
            var state = message.Recipients[i];
            html.Append("<tr><td>").Append(E(r.Address))
                .Append("</td><td>").Append(E(Name(r.Kind)))
                .Append("</td><td class=\"status\"><span class=\"label label-").Append(Label(state.Status)).Append("\">").Append(E(Name(state.Status))).Append("</span>")
                .Append("</td><td>").Append(state.Attempts.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(Reply(state.LastReply))
                .Append("</td><td>").Append(state.Status.IsFinal() ? Time(null) : Time(state.NextAttemptAt)).Append("</td></tr>");
        }

        html.Append("</tbody></table>");

        if (message.Recipients.Any(r => !r.Status.IsFinal()))
        {
            html.Append("<form id=\"cancel\" method=\"post\" action=\"").Append(E(basePath)).Append("/mail/messages/").Append(E(envelope.Id)).Append("/cancel\" ")
                .Append("onsubmit=\"return confirm('Cancel this message? Its recipients that are not final will fail and it will not be attempted again.')\">")
                .Append(antiforgeryField)
                .Append("<button class=\"btn btn-danger\">Cancel message</button> <span class=\"text-muted\">Its recipients that are not final fail; a message being sent right now is not cancelled.</span></form>");
        }

        html.Append("<h3>Timeline</h3><table id=\"timeline\" class=\"table table-striped\"><thead><tr><th>When</th><th>Event</th><th>Recipient</th><th>Reply</th><th>MX</th><th>Detail</th></tr></thead><tbody>");
        foreach (var e in message.Events)
        {
            html.Append("<tr><td>").Append(Time(e.At))
                .Append("</td><td class=\"event\">").Append(E(e.Type))
                .Append("</td><td>").Append(E(e.Recipient))
                .Append("</td><td>").Append(e.Reply is null ? "" : Reply(e.Reply))
                .Append("</td><td>").Append(E(e.Mx))
                .Append("</td><td class=\"detail\">").Append(E(e.Detail)).Append("</td></tr>");
        }

        html.Append("</tbody></table></div></div>");
        return html.ToString();
    }

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Label(RecipientStatus status) => status switch
    {
        RecipientStatus.Delivered => "success",
        RecipientStatus.Deferred or RecipientStatus.Sending => "warning",
        RecipientStatus.Failed or RecipientStatus.Bounced => "danger",
        _ => "default",
    };
}
