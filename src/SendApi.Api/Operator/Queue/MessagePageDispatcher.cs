using Hangfire.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Messages;

namespace SendApi.Api.Operator.Queue;

/// <summary>GET <c>/mail/messages/{id}</c>: a message of any account, its recipients and its timeline.</summary>
internal sealed class MessagePageDispatcher : IDashboardDispatcher
{
    public async Task Dispatch(DashboardContext context)
    {
        if (!await context.RequireMethodAsync("GET"))
        {
            return;
        }

        var id = context.UriMatch.Groups["id"].Value;
        var http = context.GetHttpContext();
        var message = MessageIds.IsValid(id)
            ? await http.RequestServices.GetRequiredService<IMessageStore>().FindAsync(id, http.RequestAborted)
            : null;
        if (message is null)
        {
            await context.FailAsync(StatusCodes.Status404NotFound, "No such message: ids are 32 lower-case hex digits, and finished messages are kept for 30 days.");
            return;
        }

        var body = MessagePageHtml.Render(context.BasePath(), context.AntiforgeryField(), message, QueueNotices.From(http.Request.Query));
        await HangfireLayout.WriteAsync(context, "Message " + id, body);
    }
}

/// <summary>GET <c>/mail/find?id=…</c>: the queue page's search box, answered with the message's page.</summary>
internal sealed class FindMessageDispatcher : IDashboardDispatcher
{
    public async Task Dispatch(DashboardContext context)
    {
        if (!await context.RequireMethodAsync("GET"))
        {
            return;
        }

        var id = context.GetHttpContext().Request.Query["id"].ToString().Trim().ToLowerInvariant();
        if (!MessageIds.IsValid(id))
        {
            await context.FailAsync(StatusCodes.Status400BadRequest, "A message id is 32 hex digits, as POST /messages returned it.");
            return;
        }

        context.RedirectTo(QueueDashboard.Path + "/messages/" + id);
    }
}
