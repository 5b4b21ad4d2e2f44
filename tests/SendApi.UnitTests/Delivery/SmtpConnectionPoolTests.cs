using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Delivery;
using SendApi.Delivery.Transport;

namespace SendApi.UnitTests.Delivery;

public sealed class SmtpConnectionPoolTests
{
    [Fact]
    public async Task An_address_with_nothing_open_or_in_flight_leaves_the_pool_and_a_busy_one_stays()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
        await using var pool = new SmtpConnectionPool(Options.Create(new DeliveryOptions { ConnectionIdleTimeout = "30s" }), time);
        var once = new SmtpConnectionPool.PoolKey("mx.once.test", IPAddress.Parse("192.0.2.1"), 25);
        var busy = new SmtpConnectionPool.PoolKey("mx.busy.test", IPAddress.Parse("192.0.2.2"), 25);

        (await pool.AcquireAsync(once, default)).Dispose();
        using var held = await pool.AcquireAsync(busy, default);
        Assert.Equal(2, pool.HostCount);

        time.Advance(TimeSpan.FromSeconds(16));

        Assert.Equal(1, pool.HostCount);
    }
}
