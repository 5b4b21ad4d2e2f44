using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SendApi.Delivery.Capture;

/// <summary>Says once at start that this instance keeps mail instead of sending it, so nobody wonders where their mail went.</summary>
internal sealed partial class CaptureModeNotice(
    IOptions<DeliveryOptions> delivery, IOptions<CaptureOptions> capture, ILogger<CaptureModeNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (delivery.Value.Captures)
        {
            LogCaptureMode(logger, capture.Value.MaxMessages);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning,
        Message = "Delivery:Mode is capture: no mail leaves this instance. Every message is kept (the newest {MaxMessages}, Capture:MaxMessages) and shown at /captured; set Delivery__Mode=smtp to send.")]
    private static partial void LogCaptureMode(ILogger logger, int maxMessages);
}
