using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// The recipients' side of the internet, on loopback: dnsmasq serving the test domains and real
/// SMTP servers as their MX hosts, all on one port (Delivery:Port) at different 127.0.0.x addresses.
/// <list type="bullet">
/// <item>example.test: MX 10 mx1.example.test (127.0.0.2, aiosmtpd).</item>
/// <item>backup.test: MX 10 dead.backup.test (127.0.0.9, nothing listens), MX 20 mx1.example.test.</item>
/// <item>afallback.test: no MX, A 127.0.0.3 (aiosmtpd) — RFC 5321 §5.1 implicit MX.</item>
/// <item>rejecting.test: MX 10 mx.rejecting.test (127.0.0.5, Postfix smtp-sink refusing RCPT with 550 5.1.1).</item>
/// <item>needtls.test: MX 127.0.0.7, smtp-sink answering MAIL with 530 5.7.0 "STARTTLS first".</item>
/// <item>throttled.test: MX mx1.example.test (127.0.0.2), for rate limits.</item>
/// <item>tarpit.test: MX 127.0.0.8, an aiosmtpd whose "slow*" recipients take 2 s per DATA.</item>
/// <item>nullmx.test: RFC 7505 null MX.</item>
/// <item>anything else under .test: NXDOMAIN.</item>
/// </list>
/// </summary>
public sealed class DeliveryWorld : IAsyncLifetime
{
    public int Port { get; } = FreePort.Tcp();

    public DnsServer Dns { get; private set; } = null!;

    /// <summary>MX of example.test (and backup of backup.test).</summary>
    public AiosmtpdSink Mx1 { get; private set; } = null!;

    /// <summary>The address of afallback.test, which has no MX.</summary>
    public AiosmtpdSink Fallback { get; private set; } = null!;

    public PostfixSmtpSink Rejecting { get; private set; } = null!;

    public PostfixSmtpSink NeedsTls { get; private set; } = null!;

    /// <summary>The MX of tarpit.test.</summary>
    public AiosmtpdSink Tarpit { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var dns = DnsServer.StartAsync(zone => zone
            .Mx("example.test", "mx1.example.test", 10).A("mx1.example.test", "127.0.0.2")
            .Mx("backup.test", "dead.backup.test", 10).A("dead.backup.test", "127.0.0.9")
            .Mx("backup.test", "mx1.example.test", 20)
            .A("afallback.test", "127.0.0.3")
            .Mx("rejecting.test", "mx.rejecting.test", 10).A("mx.rejecting.test", "127.0.0.5")
            .Mx("needtls.test", "mx.needtls.test", 10).A("mx.needtls.test", "127.0.0.7")
            .Mx("throttled.test", "mx1.example.test", 10)
            .Mx("tarpit.test", "mx.tarpit.test", 10).A("mx.tarpit.test", "127.0.0.8")
            .NullMx("nullmx.test"));
        var mx1 = AiosmtpdSink.StartAsync("127.0.0.2", Port, "mx1.example.test");
        var fallback = AiosmtpdSink.StartAsync("127.0.0.3", Port, "afallback.test");
        var rejecting = PostfixSmtpSink.StartAsync("127.0.0.5", Port, "-f", "RCPT", "-B", "550 5.1.1 No such user");
        var needsTls = PostfixSmtpSink.StartAsync("127.0.0.7", Port, "-f", "MAIL", "-B", "530 5.7.0 Must issue a STARTTLS command first");
        var tarpit = AiosmtpdSink.StartAsync("127.0.0.8", Port, "mx.tarpit.test");
        await Task.WhenAll(dns, mx1, fallback, rejecting, needsTls, tarpit);
        Tarpit = tarpit.Result;
        (Dns, Mx1, Fallback, Rejecting) = (dns.Result, mx1.Result, fallback.Result, rejecting.Result);
        NeedsTls = needsTls.Result;
    }

    /// <summary>Settings that point SendApi's delivery at this world.</summary>
    public Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Dns:Servers"] = Dns.Server,
            ["Delivery:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Delivery:HeloName"] = "sendapi.test",
            ["Delivery:ConnectTimeout"] = "3s",
            ["Delivery:CommandTimeout"] = "15s",
            ["Delivery:Workers"] = "4",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(
            Dns?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            Mx1?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            Fallback?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            Rejecting?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            NeedsTls?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            Tarpit?.DisposeAsync().AsTask() ?? Task.CompletedTask);
    }
}
