using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>
/// The per-address cap and the per-listener cap hold on every listener, implicit TLS included, and
/// are decided before any handshake. The clock is fake and never moved: a connection that closes
/// did so because it was refused, not because a timer fired.
/// </summary>
public sealed class SmtpConnectionCapTests
{
    [Fact]
    public async Task Port_465_refuses_the_connection_over_the_per_ip_cap_before_tls()
    {
        var settings = Settings(maxPerIp: 2, maxPerListener: 100);
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.ImplicitTls, settings, new FakeTimeProvider());
        using var first = await SilentAsync(server.Port);
        using var second = await SilentAsync(server.Port);
        await server.WaitUntilAdmittedAsync(2);

        await using (var third = await server.ConnectAsync())
        {
            Assert.True(await third.IsClosedAsync()); // at once: no handshake, no idle timeout
        }

        Assert.Contains(server.Logs.Entries, e => e.EventId == 3002);
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId is 3010 or 3013); // no handshake was even started

        // The admitted ones were held, not dropped: they can still handshake and be greeted.
        await using var late = await HandshakeOnAsync(first);
        Assert.Equal("220 mx.sendapi.test ESMTP SendApi", await late.ReadReplyAsync());
    }

    [Fact]
    public async Task Port_465_closes_the_connection_over_the_listener_cap_without_a_handshake()
    {
        var settings = Settings(maxPerIp: 100, maxPerListener: 2);
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.ImplicitTls, settings, new FakeTimeProvider());
        using var first = await SilentAsync(server.Port);
        using var second = await SilentAsync(server.Port);
        await server.WaitUntilAdmittedAsync(2);

        await using (var third = await server.ConnectAsync())
        {
            Assert.True(await third.IsClosedAsync());
        }

        Assert.Contains(server.Logs.Entries, e => e.EventId == 3006 && e.Level == LogLevel.Warning);
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId is 3010 or 3013);
    }

    [Fact]
    public async Task A_connection_over_the_listener_cap_gets_421_and_a_freed_slot_is_reused()
    {
        var settings = Settings(maxPerIp: 100, maxPerListener: 2);
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings);
        await using var first = await server.ConnectAndGreetAsync();
        await using var second = await server.ConnectAndGreetAsync();

        await using (var third = await server.ConnectAsync())
        {
            Assert.Equal("421 4.7.0 mx.sendapi.test Too many connections, try again later", await third.ReadReplyAsync());
            Assert.True(await third.IsClosedAsync());
        }

        Assert.Equal("221 2.0.0 Bye", await first.CommandAsync("QUIT"));
        Assert.True(await first.IsClosedAsync());
        Assert.True(await server.AdmitsWithinAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Silent_plaintext_clients_cannot_hold_slots_past_the_listener_cap()
    {
        // The flood the issue describes, on 25/587: connections that never say a word.
        var settings = Settings(maxPerIp: 100, maxPerListener: 5);
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings, new FakeTimeProvider());
        var silent = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                silent.Add(await SilentAsync(server.Port));
            }

            await server.WaitUntilAdmittedAsync(5);
            for (var i = 0; i < 5; i++)
            {
                await using var extra = await server.ConnectAsync();
                Assert.StartsWith("421 4.7.0", await extra.ReadReplyAsync());
                Assert.True(await extra.IsClosedAsync());
            }
        }
        finally
        {
            silent.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Trusted_networks_are_exempt_from_the_per_ip_cap_but_not_from_the_listener_cap()
    {
        var settings = Settings(maxPerIp: 1, maxPerListener: 2, exempt: System.Net.IPNetwork.Parse("127.0.0.0/8"));
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings);
        await using var first = await server.ConnectAndGreetAsync();
        await using var second = await server.ConnectAndGreetAsync(); // over the per-address cap of 1: exempt

        await using var third = await server.ConnectAsync();
        Assert.Equal("421 4.7.0 mx.sendapi.test Too many connections, try again later", await third.ReadReplyAsync());
    }

    [Fact]
    public async Task Each_listener_has_its_own_cap()
    {
        // A crowd on the submission port must not lock bounces out of the inbound one.
        var inbound = SmtpTestServer.Open with { Name = "inbound" };
        var settings = Settings(maxPerIp: 100, maxPerListener: 1);
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings, moreListeners: inbound);
        await using var busy = await server.ConnectAndGreetAsync();

        await using (var refused = await server.ConnectAsync())
        {
            Assert.StartsWith("421 4.7.0", await refused.ReadReplyAsync());
        }

        await using var other = await SmtpTestClient.ConnectAsync(server.PortOf(inbound));
        Assert.Equal("220 mx.sendapi.test ESMTP SendApi", await other.ReadReplyAsync());
    }

    private static SmtpServerSettings Settings(int maxPerIp, int maxPerListener, System.Net.IPNetwork? exempt = null) => new()
    {
        Hostname = SmtpTestServer.Host,
        Certificate = TestCertificate.Server,
        MaxConnectionsPerIp = maxPerIp,
        MaxConnections = maxPerListener,
        ConnectionLimitExemptions = exempt is { } network ? [network] : [],
    };

    /// <summary>A connection that never sends a byte: no ClientHello, no EHLO.</summary>
    private static async Task<TcpClient> SilentAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        return tcp;
    }

    private static async Task<SmtpTestClient> HandshakeOnAsync(TcpClient tcp)
    {
        var client = SmtpTestClient.Wrap(tcp);
        await client.HandshakeAsync();
        return client;
    }
}
