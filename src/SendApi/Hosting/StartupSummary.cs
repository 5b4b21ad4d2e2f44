using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using SendApi.Delivery;

namespace SendApi.Hosting;

/// <summary>
/// Once the listeners are bound, says in one place what this instance offers and where: the HTTP
/// API and its pages, each SMTP listener, and where mail goes. A newcomer reads it to know what to
/// try next; an operator to see that the settings were taken.
/// </summary>
internal sealed partial class StartupSummary(
    ListenerPlan plan, IOptions<DeliveryOptions> delivery, IHostApplicationLifetime lifetime, ILogger<StartupSummary> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => LogReady(logger, Describe(plan, delivery.Value)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static string Describe(ListenerPlan plan, DeliveryOptions delivery)
    {
        var text = new StringBuilder();
        var http = plan.Listeners.FirstOrDefault(l => l.Role is ListenerRole.Http or ListenerRole.Https);
        var baseUrl = http is null ? null : $"{(http.Role == ListenerRole.Https ? "https" : "http")}://{BrowserHost(http.Host)}:{http.Port.ToString(CultureInfo.InvariantCulture)}";
        foreach (var listener in plan.Listeners)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {Label(listener.Role),-28} {Where(listener)}");
            if (listener.Role is ListenerRole.Submission or ListenerRole.SubmissionTls)
            {
                text.Append(" (AUTH with any user name and an API key as password)");
            }
        }

        if (baseUrl is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {"Pages",-28} {baseUrl}/swagger (API), {baseUrl}/hangfire (queue){(delivery.Captures ? $", {baseUrl}/captured (captured mail)" : "")}; log in with any user name and an admin key");
        }

        text.Append(CultureInfo.InvariantCulture, $"\n  {"Delivery",-28} ");
        text.Append(delivery.Captures
            ? $"capture: no mail leaves this instance; every message is kept and shown at {baseUrl ?? ""}/captured (Delivery__Mode=smtp sends)"
            : $"smtp: to the recipients' MX hosts on port {delivery.Port.ToString(CultureInfo.InvariantCulture)} as {delivery.HeloName}");
        return text.ToString();
    }

    private static string Label(ListenerRole role) => role switch
    {
        ListenerRole.Http or ListenerRole.Https => "HTTP API",
        ListenerRole.Submission => "SMTP submission (STARTTLS)",
        ListenerRole.SubmissionTls => "SMTP submission (TLS)",
        _ => "SMTP inbound (port 25 role)",
    };

    private static string Where(PlannedListener listener) => listener.Role switch
    {
        ListenerRole.Http => $"http://{BrowserHost(listener.Host)}:{listener.Port.ToString(CultureInfo.InvariantCulture)}" + EveryAddress(listener),
        ListenerRole.Https => $"https://{BrowserHost(listener.Host)}:{listener.Port.ToString(CultureInfo.InvariantCulture)}" + EveryAddress(listener),
        _ => listener.Endpoint,
    };

    private static string EveryAddress(PlannedListener listener) => EndpointBinding.IsAnyAddress(listener.Host) ? " (every address)" : "";

    /// <summary>A host a browser on this machine can open: "localhost" for "every address".</summary>
    private static string BrowserHost(string host) =>
        EndpointBinding.IsAnyAddress(host) ? "localhost" : host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;

    // Log event id 4 of the block 1–9 it shares with StartupLog (see docs/logging.md); next free: 5.
    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "SendApi is ready:{Summary}")]
    private static partial void LogReady(ILogger logger, string summary);
}
