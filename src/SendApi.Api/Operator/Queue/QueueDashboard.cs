using Hangfire.Dashboard;

namespace SendApi.Api.Operator.Queue;

/// <summary>
/// The mail queue inside the Hangfire dashboard: <c>/mail</c> (totals, destination domains,
/// recent failures), <c>/mail/messages/{id}</c> (a message and its timeline), and two actions,
/// each a POST that the dashboard's middleware lets through only with an admin key and a valid
/// antiforgery token: retry a domain's waiting mail now, and cancel a message.
/// </summary>
public static class QueueDashboard
{
    public const string Path = "/mail";

    private static int s_registered;

    /// <summary>
    /// Adds the routes and the navigation item. Hangfire keeps both in process-wide lists, so this
    /// runs once per process however many hosts it builds; the dispatchers take everything else
    /// from the request's own services.
    /// </summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1)
        {
            return;
        }

        DashboardRoutes.Routes.Add(Path, new QueuePageDispatcher());
        DashboardRoutes.Routes.Add(Path + "/messages/(?<id>[^/]+)/cancel", new CancelMessageDispatcher());
        DashboardRoutes.Routes.Add(Path + "/messages/(?<id>[^/]+)", new MessagePageDispatcher());
        DashboardRoutes.Routes.Add(Path + "/retry", new RetryDomainDispatcher());
        DashboardRoutes.Routes.Add(Path + "/find", new FindMessageDispatcher());
        NavigationMenu.Items.Add(page => new MenuItem("Mail queue", page.Url.To(Path))
        {
            Active = page.RequestPath.StartsWith(Path, StringComparison.OrdinalIgnoreCase),
        });
    }
}
