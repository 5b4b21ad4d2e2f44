using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;

namespace SendApi.Api.Operator.Queue;

/// <summary>
/// Writes a page body inside the Hangfire dashboard's own layout (navigation bar, styles, the
/// antiforgery meta tags), so the mail pages look and behave like the rest of <c>/hangfire</c>.
/// A <see cref="RazorPage"/> renders synchronously and can be bound to a request only by
/// Hangfire's page dispatcher, so our dispatchers load their data asynchronously first and then
/// hand a finished body to that dispatcher, obtained through the public route API.
/// </summary>
internal static class HangfireLayout
{
    public static Task WriteAsync(DashboardContext context, string title, string bodyHtml)
    {
        var routes = new RouteCollection();
        routes.AddRazorPage("/", _ => new BodyPage(title, bodyHtml));
        return routes.FindDispatcher("/").Item1.Dispatch(context);
    }

    private sealed class BodyPage(string title, string bodyHtml) : RazorPage
    {
        public override void Execute()
        {
            Layout = new LayoutPage(title);
            WriteLiteral(bodyHtml);
        }
    }
}
