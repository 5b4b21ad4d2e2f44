using System.Globalization;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// Recipient domains whose DNS misbehaves the way real servers do, on loopback: a dnsmasq in
/// <see cref="DnsServerMode.Forwarder"/> mode (REFUSED for whatever it has no record of), with some
/// names forwarded to a server that answers SERVFAIL and some to one that never answers; and two
/// aiosmtpd MX hosts on one port, <see cref="V4"/> at 127.0.0.20 and <see cref="V6"/> at [::1].
/// <list type="bullet">
/// <item>refused-aaaa.test: MX 10 mx.refused-aaaa.test, A 127.0.0.20; its AAAA is REFUSED.</item>
/// <item>servfail-aaaa.test: MX 10 mx.servfail-aaaa.test, A 127.0.0.20; its AAAA is SERVFAIL.</item>
/// <item>timeout-aaaa.test: MX 10 mx.timeout-aaaa.test, A 127.0.0.20; its AAAA is never answered.</item>
/// <item>refused-a.test: MX 10 mx.refused-a.test, AAAA ::1; its A is REFUSED.</item>
/// <item>servfail-a.test: MX 10 mx.servfail-a.test, AAAA ::1; its A is SERVFAIL.</item>
/// <item>cname.test: MX 10 alias.cname.test, a CNAME for real.cname.test (A 127.0.0.20).</item>
/// <item>many.test: 24 MX records (too many for one UDP answer: DnsClient falls back to TCP).
///   Preference 10: four hosts without any record (REFUSED). 20: four whose A and AAAA are SERVFAIL.
///   30: four at 127.0.0.21, where nothing listens. 40: four at 127.0.0.20. 50 and 60: eight at 127.0.0.20.</item>
/// <item>crowd.test: <see cref="CrowdSize"/> MX hosts at preferences 1, 2, …, all at 127.0.0.21, where nothing listens.</item>
/// <item>nameless.test: <see cref="CrowdSize"/> MX hosts at preferences 1, 2, …, none with any record (REFUSED).</item>
/// <item>both-fail.test: MX 10 mx.both-fail.test, whose A and AAAA are both SERVFAIL.</item>
/// <item>mx-servfail.test: its MX query is SERVFAIL. Any other name (e.g. mx-refused.test): REFUSED.</item>
/// </list>
/// </summary>
public sealed class UnreliableDnsWorld : IAsyncLifetime
{
    public const int ManyPerPreference = 4;

    /// <summary>MX hosts of crowd.test and nameless.test: more than one transaction may try.</summary>
    public const int CrowdSize = 30;

    public int Port { get; } = FreePort.Tcp();

    public DnsServer Dns { get; private set; } = null!;

    public BrokenNameServer Servfail { get; } = BrokenNameServer.Servfail();

    public BrokenNameServer Silent { get; } = BrokenNameServer.Silent();

    /// <summary>The IPv4 MX host, 127.0.0.20.</summary>
    public AiosmtpdSink V4 { get; private set; } = null!;

    /// <summary>The IPv6 MX host, [::1].</summary>
    public AiosmtpdSink V6 { get; private set; } = null!;

    /// <summary>The MX host names of many.test, by preference.</summary>
    public static string ManyHost(int preference, int index) =>
        $"mx{preference}-{index}.with-a-rather-long-exchange-name.many.test";

    /// <summary>The MX host of crowd.test or nameless.test at preference <paramref name="preference"/> (1 is tried first).</summary>
    public static string CrowdHost(string domain, int preference) =>
        $"mx{preference}.{domain}";

    public async Task InitializeAsync()
    {
        var dns = DnsServer.StartAsync(
            zone =>
            {
                zone.Mx("refused-aaaa.test", "mx.refused-aaaa.test", 10).A("mx.refused-aaaa.test", "127.0.0.20")
                    .Mx("servfail-aaaa.test", "mx.servfail-aaaa.test", 10).A("mx.servfail-aaaa.test", "127.0.0.20")
                    .Forward("mx.servfail-aaaa.test", Servfail.EndPoint)
                    .Mx("timeout-aaaa.test", "mx.timeout-aaaa.test", 10).A("mx.timeout-aaaa.test", "127.0.0.20")
                    .Forward("mx.timeout-aaaa.test", Silent.EndPoint)
                    .Mx("refused-a.test", "mx.refused-a.test", 10).Aaaa("mx.refused-a.test", "::1")
                    .Mx("servfail-a.test", "mx.servfail-a.test", 10).Aaaa("mx.servfail-a.test", "::1")
                    .Forward("mx.servfail-a.test", Servfail.EndPoint)
                    .Mx("cname.test", "alias.cname.test", 10).Cname("alias.cname.test", "real.cname.test").A("real.cname.test", "127.0.0.20")
                    .Mx("both-fail.test", "mx.both-fail.test", 10).Forward("mx.both-fail.test", Servfail.EndPoint)
                    .Forward("mx-servfail.test", Servfail.EndPoint);
                for (var preference = 1; preference <= CrowdSize; preference++)
                {
                    zone.Mx("crowd.test", CrowdHost("crowd.test", preference), preference).A(CrowdHost("crowd.test", preference), "127.0.0.21");
                    zone.Mx("nameless.test", CrowdHost("nameless.test", preference), preference);
                }

                for (var i = 0; i < ManyPerPreference; i++)
                {
                    zone.Mx("many.test", ManyHost(10, i), 10);
                    zone.Mx("many.test", ManyHost(20, i), 20).Forward(ManyHost(20, i), Servfail.EndPoint);
                    zone.Mx("many.test", ManyHost(30, i), 30).A(ManyHost(30, i), "127.0.0.21");
                    foreach (var preference in (int[])[40, 50, 60])
                    {
                        zone.Mx("many.test", ManyHost(preference, i), preference).A(ManyHost(preference, i), "127.0.0.20");
                    }
                }
            },
            DnsServerMode.Forwarder);
        var v4 = AiosmtpdSink.StartAsync("127.0.0.20", Port, "mx.v4.test");
        var v6 = AiosmtpdSink.StartAsync("::1", Port, "mx.v6.test");
        await Task.WhenAll(dns, v4, v6);
        (Dns, V4, V6) = (dns.Result, v4.Result, v6.Result);
    }

    /// <summary>Settings that point SendApi's delivery at this world, with a short DNS timeout.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Dns:Servers"] = Dns.Server,
        ["Dns:Timeout"] = "1s",
        ["Delivery:Port"] = Port.ToString(CultureInfo.InvariantCulture),
        ["Delivery:HeloName"] = "sendapi.test",
        ["Delivery:ConnectTimeout"] = "3s",
        ["Delivery:CommandTimeout"] = "15s",
        ["Delivery:RetrySchedule"] = "1m",
        ["Delivery:MaxAge"] = "48h",
    };

    public async Task DisposeAsync()
    {
        await Task.WhenAll(
            Dns?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            V4?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            V6?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            Servfail.DisposeAsync().AsTask(),
            Silent.DisposeAsync().AsTask());
    }
}
