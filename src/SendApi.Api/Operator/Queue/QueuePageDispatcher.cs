using Hangfire.Dashboard;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Queue;

namespace SendApi.Api.Operator.Queue;

/// <summary>GET <c>/mail</c>: the queue's totals, its destination domains and the recent failures.</summary>
internal sealed class QueuePageDispatcher : IDashboardDispatcher
{
    /// <summary>Per-domain figures come from this many queue entries, earliest due first (the page says so when there are more).</summary>
    public const int ScanLimit = 5000;

    /// <summary>Domains shown, most queued first.</summary>
    public const int MaxDomains = 100;

    public const int MaxFailures = 25;

    public async Task Dispatch(DashboardContext context)
    {
        if (!await context.RequireMethodAsync("GET"))
        {
            return;
        }

        var http = context.GetHttpContext();
        var services = http.RequestServices;
        var view = services.GetRequiredService<IQueueView>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var snapshot = await view.SnapshotAsync(now, ScanLimit, http.RequestAborted);
        var domains = snapshot.Domains.Take(MaxDomains).ToList();
        var slowdowns = await view.SlowdownsAsync([.. domains.Select(d => d.Domain)], http.RequestAborted);
        var failures = await view.RecentFailuresAsync(MaxFailures, http.RequestAborted);
        var notice = QueueNotices.From(http.Request.Query);
        var body = QueuePageHtml.Render(context.BasePath(), context.AntiforgeryField(), snapshot, domains, slowdowns, failures, notice);
        await HangfireLayout.WriteAsync(context, "Mail queue", body);
    }
}
