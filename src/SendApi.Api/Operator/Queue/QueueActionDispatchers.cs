using Hangfire.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Api.Features.Messages;
using SendApi.Core.Messages;
using SendApi.Core.Queue;

namespace SendApi.Api.Operator.Queue;

/// <summary>
/// POST <c>/mail/retry</c> (form field <c>domain</c>): the domain's mail waiting for a retry or
/// for its limit becomes due now, and delivery is woken, without waiting for the retry schedule.
/// </summary>
internal sealed class RetryDomainDispatcher : IDashboardDispatcher
{
    private const int MaxDomainLength = 253;

    public async Task Dispatch(DashboardContext context)
    {
        if (!await context.RequireMethodAsync("POST"))
        {
            return;
        }

        var http = context.GetHttpContext();
        var domain = http.Request.HasFormContentType ? (await http.Request.ReadFormAsync(http.RequestAborted))["domain"].ToString().Trim().ToLowerInvariant() : "";
        if (domain.Length is 0 or > MaxDomainLength || domain.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '@' or '/'))
        {
            await context.FailAsync(StatusCodes.Status400BadRequest, "The form needs a destination domain (field 'domain'), as the queue page lists it.");
            return;
        }

        var services = http.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var count = await services.GetRequiredService<IQueueView>().RetryDomainNowAsync(domain, now, QueuePageDispatcher.ScanLimit, http.RequestAborted);
        if (count > 0)
        {
            services.GetService<IDeliverySignal>()?.Notify();
        }

        context.RedirectTo(QueueDashboard.Path + QueueNotices.Query(QueueNotices.Retried, ("count", count.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("domain", domain)));
    }
}

/// <summary>POST <c>/mail/messages/{id}/cancel</c>: cancels the message unless a delivery job holds it right now.</summary>
internal sealed class CancelMessageDispatcher : IDashboardDispatcher
{
    public async Task Dispatch(DashboardContext context)
    {
        if (!await context.RequireMethodAsync("POST"))
        {
            return;
        }

        var id = context.UriMatch.Groups["id"].Value;
        var http = context.GetHttpContext();
        var result = await http.RequestServices.GetRequiredService<MessageCancellation>().CancelByOperatorAsync(id, http.RequestAborted);
        var done = result switch
        {
            CancelResult.Cancelled => QueueNotices.Cancelled,
            CancelResult.InFlight => QueueNotices.InFlight,
            CancelResult.AlreadyFinished => QueueNotices.AlreadyFinished,
            _ => null,
        };
        if (done is null)
        {
            await context.FailAsync(StatusCodes.Status404NotFound, "No such message.");
            return;
        }

        context.RedirectTo(QueueDashboard.Path + "/messages/" + id + QueueNotices.Query(done));
    }
}
