
namespace SendApi.IntegrationTests.Harness;

/// <summary>The application as the webhook tests run it: private networks allowed (the receiver is on 127.0.0.1) and short timings.</summary>
internal static class WebhookApps
{
    public static SendApiApp Create(DeliveryWorld world, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:RetrySchedule"] = "1s,1s",
            ["Webhooks:Timeout"] = "2s",
            ["Webhooks:PollInterval"] = "50ms",
            ["Webhooks:SchedulePollingInterval"] = "200ms",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return new SendApiApp(world.Settings(settings));
    }

    public static object Mail(string to) => new
    {
        from = "orders@acme.test",
        to = new[] { to },
        subject = "Your order",
        text = "Thanks",
        tags = new[] { "orders", "eu" },
        metadata = new Dictionary<string, string> { ["order_id"] = "1234" },
    };

    public static string Unique(string local) => $"{local}-{Guid.NewGuid():N}@example.test";
}
