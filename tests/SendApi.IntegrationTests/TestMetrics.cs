using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Diagnostics;

namespace SendApi.IntegrationTests;

/// <summary>The application's metrics, for a component a test builds by hand (nothing exports them).</summary>
internal static class TestMetrics
{
    public static SendApiMetrics Create() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
}
