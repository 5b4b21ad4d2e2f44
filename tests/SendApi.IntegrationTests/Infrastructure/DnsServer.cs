using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A real <c>dnsmasq</c> on 127.0.0.1 and a free port, serving the records given to the
/// <see cref="DnsZone"/> builder. It has no default upstream (<c>--no-resolv</c>, no /etc/hosts);
/// only names given to <see cref="DnsZone.Forward"/> are asked of another server. In the default
/// <see cref="DnsServerMode.Authoritative"/> mode <c>--local=/test/</c> makes it answer every other
/// name under <c>.test</c> itself; in <see cref="DnsServerMode.Forwarder"/> mode it does not.
/// <para>
/// What it answers (verified with dnsmasq 2.90, Debian 12):
/// <list type="bullet">
/// <item>MX for a domain given <see cref="DnsZone.Mx"/>: NOERROR, the MX records, with the exchanges'
///   A records in the additional section when they were given with <see cref="DnsZone.A"/>. An answer
///   larger than 1232 octets (dnsmasq's EDNS limit; about 20 MX records with 40-character names) is
///   truncated over UDP and complete over TCP.</item>
/// <item>MX (or AAAA) for a name that has only an A record (<see cref="DnsZone.A"/>, no MX): NOERROR with
///   no answers (NODATA) — the RFC 5321 §5.1 implicit-MX / A-fallback case.</item>
/// <item>MX for a name given <see cref="DnsZone.NullMx"/>: NOERROR, one MX record with preference 0 and
///   exchange "." (RFC 7505).</item>
/// <item>A for a domain that has only MX records: NOERROR, no answers (NODATA).</item>
/// <item>Any type for a <see cref="DnsZone.Cname"/> alias: NOERROR, the CNAME followed by the target's
///   records of that type (the CNAME alone when the target has none, in both modes).</item>
/// <item>Any query for a name under .test that has no record of any kind: NXDOMAIN.
///   Note: a name that has only a NullMx (a <c>--dns-rr</c> record) is NXDOMAIN for the other types, A included.</item>
/// <item>Any name outside .test: REFUSED (nothing to forward to).</item>
/// </list>
/// In <see cref="DnsServerMode.Forwarder"/> mode the records given answer as above, but every
/// NXDOMAIN and NODATA above becomes REFUSED, as from a resolver with no upstream: AAAA for a name
/// with only A records, A for a name with only AAAA records (<see cref="DnsZone.Aaaa"/>) or only
/// MX records, MX for a name with only addresses, and anything for an unknown name.
/// </para>
/// <para>
/// A name given to <see cref="DnsZone.Forward"/> (in either mode) is answered from its own records
/// for the types it has, and every other type is asked of that server and its answer relayed:
/// SERVFAIL from a <see cref="BrokenNameServer.Servfail"/> server, and nothing at all (the
/// client times out; dnsmasq never answers, verified for 60 s) from a <see cref="BrokenNameServer.Silent"/> one.
/// </para>
/// <para>
/// In <see cref="DnsServerMode.AuthoritativeWithSoa"/> mode dnsmasq is the authoritative server of
/// the zone "test" (<c>--auth-zone</c>): every answer under .test is as in the default mode, but
/// authoritative (AA), with the zone's NS in the authority section of a positive answer and its SOA in
/// that of an NXDOMAIN or NODATA, as a real zone's server gives (RFC 2308 §3). The SOA's TTL and its
/// MINIMUM field both equal the TTL given to StartAsync (<c>--auth-ttl</c>, verified with dnsmasq 2.90),
/// which is then every answer's TTL. Names outside .test are REFUSED; <see cref="DnsZone.Forward"/> is not
/// used in this mode. Its query log says <c>auth[TYPE]</c> where the other modes say <c>query[TYPE]</c>.
/// </para>
/// All answers carry TTL 0 unless StartAsync is given another.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly ExternalProcess _process;

    private DnsServer(ExternalProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT", for the application's DNS server setting.</summary>
    public string Server => $"127.0.0.1:{Port}";

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>What dnsmasq logged so far (it logs every query).</summary>
    public string Output => _process.Output;

    /// <summary>How many <paramref name="type"/> queries for <paramref name="name"/> dnsmasq has received so far (from its query log).</summary>
    public int Queries(string type, string name) =>
        // "query[A] name from …", or "auth[A] name from …" when answered as the zone's authoritative server.
        Output.Split('\n').Count(line => line.Contains($"[{type}] {name} from ", StringComparison.Ordinal));

    /// <summary>Waits (up to 5 s) until dnsmasq has logged at least <paramref name="count"/> such queries; returns how many it logged.</summary>
    public async Task<int> WaitForQueriesAsync(string type, string name, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Queries(type, name) < count && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }

        return Queries(type, name);
    }

    /// <example>
    /// <code>
    /// await using var dns = await DnsServer.StartAsync(z => z
    ///     .Mx("example.test", "mx1.example.test", 10).A("mx1.example.test", "127.0.0.2")
    ///     .NullMx("nullmx.test")
    ///     .A("afallback.test", "127.0.0.3"));
    /// </code>
    /// </example>
    /// <param name="port">The port to serve on (from <see cref="FreePort.TcpAndUdp"/>), for an application configured before the
    /// records are known (a DKIM key is made at registration); a free one when null.</param>
    /// <param name="ttlSeconds">The TTL of every answer; 0 (no caching) unless given. The bench gives its zone a real one.</param>
    public static async Task<DnsServer> StartAsync(Action<DnsZone> configure, DnsServerMode mode = DnsServerMode.Authoritative, int? port = null, int? ttlSeconds = null)
    {
        var zone = new DnsZone();
        configure(zone);

        var listenPort = port ?? FreePort.TcpAndUdp();
        var arguments = new List<string>
        {
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            $"--port={listenPort.ToString(CultureInfo.InvariantCulture)}",
            "--pid-file=",
            "--log-queries",
            "--log-facility=-",
        };
        if (mode is DnsServerMode.Authoritative or DnsServerMode.AuthoritativeWithSoa)
        {
            arguments.Add("--local=/test/");
        }

        if (mode == DnsServerMode.AuthoritativeWithSoa)
        {
            // Authoritative answers for queries to 127.0.0.1 (all of them): SOA in every NXDOMAIN/NODATA.
            arguments.Add("--auth-server=ns.test,127.0.0.1");
            arguments.Add("--auth-zone=test");
        }

        if (mode == DnsServerMode.AuthoritativeWithSoa)
        {
            // The TTL of authoritative answers, the SOA's TTL and MINIMUM included (dnsmasq's default is 600).
            arguments.Add($"--auth-ttl={(ttlSeconds ?? 0).ToString(CultureInfo.InvariantCulture)}");
        }
        else if (ttlSeconds is { } ttl)
        {
            arguments.Add($"--local-ttl={ttl.ToString(CultureInfo.InvariantCulture)}");
        }

        if (Environment.IsPrivilegedProcess)
        {
            // As root dnsmasq would switch to the "nobody" user; stay root instead.
            arguments.Add("--user=root");
        }

        arguments.AddRange(zone.ToDnsmasqArguments());

        var process = ExternalProcess.Start(ExternalProcess.ResolveExecutable("dnsmasq"), arguments);
        var server = new DnsServer(process, listenPort);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A DnsClient resolver that asks only this server, without caching.</summary>
    public LookupClient CreateLookupClient() =>
        new(new LookupClientOptions(new NameServer(EndPoint))
        {
            UseCache = false,
            Timeout = TimeSpan.FromSeconds(2),
            Retries = 1,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
        });

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();

    private async Task WaitUntilReadyAsync()
    {
        await _process.WaitForOutputLineAsync(line => line.Contains("started, version", StringComparison.Ordinal), StartTimeout, "dnsmasq to start");
        var client = new LookupClient(new LookupClientOptions(new NameServer(EndPoint))
        {
            UseCache = false,
            Timeout = TimeSpan.FromMilliseconds(250),
            Retries = 0,
            ThrowDnsErrors = false,
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < StartTimeout && !_process.HasExited)
        {
            try
            {
                // Any answer (NXDOMAIN expected) proves the UDP listener is serving.
                await client.QueryAsync("readiness-probe.test", QueryType.A);
                return;
            }
            catch (Exception ex) when (ex is DnsResponseException or SocketException or OperationCanceledException)
            {
                last = ex;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"dnsmasq did not answer a probe query ({last?.Message}).\n{_process.Describe()}");
    }
}

/// <summary>How a <see cref="DnsServer"/> answers for names it has no record for.</summary>
public enum DnsServerMode
{
    /// <summary><c>--local=/test/</c>: NXDOMAIN or NODATA, as the zone's authoritative server would.</summary>
    Authoritative,

    /// <summary>No <c>--local</c>: REFUSED, as a forwarding resolver without an upstream does.</summary>
    Forwarder,

    /// <summary>
    /// <c>--auth-zone=test</c>: as <see cref="Authoritative"/>, with the zone's SOA in the authority
    /// section of every NXDOMAIN and NODATA (RFC 2308), as a real authoritative server answers.
    /// </summary>
    AuthoritativeWithSoa,
}

/// <summary>
/// The records a <see cref="DnsServer"/> serves. Names must be under the <c>.test</c> TLD; IDN
/// names are converted to their A-label (punycode) form. Calls chain.
/// </summary>
public sealed class DnsZone
{
    private const string TestTld = ".test";
    private static readonly IdnMapping Idn = new();

    private readonly List<string> _arguments = [];

    /// <summary>An MX record: <paramref name="domain"/> MX <paramref name="preference"/> <paramref name="host"/>.</summary>
    public DnsZone Mx(string domain, string host, int preference)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(preference);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(preference, ushort.MaxValue);
        if (string.IsNullOrWhiteSpace(host) || host.Trim() == ".")
        {
            throw new ArgumentException("Use NullMx(domain) for an RFC 7505 null MX.", nameof(host));
        }

        _arguments.Add($"--mx-host={Name(domain)},{Name(host)},{preference.ToString(CultureInfo.InvariantCulture)}");
        return this;
    }

    /// <summary>
    /// An A record. A domain that gets A records and no MX is the A-fallback (implicit MX) case:
    /// its MX query answers NOERROR with no records. Call several times for several addresses.
    /// </summary>
    public DnsZone A(string host, string ipv4)
    {
        if (!IPAddress.TryParse(ipv4, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"'{ipv4}' is not an IPv4 address.", nameof(ipv4));
        }

        _arguments.Add($"--host-record={Name(host)},{address}");
        return this;
    }

    /// <summary>An AAAA record (<c>--host-record</c> with an IPv6 address). Call several times for several addresses.</summary>
    public DnsZone Aaaa(string host, string ipv6)
    {
        if (!IPAddress.TryParse(ipv6, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"'{ipv6}' is not an IPv6 address.", nameof(ipv6));
        }

        _arguments.Add($"--host-record={Name(host)},{address}");
        return this;
    }

    /// <summary>A CNAME record: <paramref name="alias"/> CNAME <paramref name="target"/>; the target must have records here.</summary>
    public DnsZone Cname(string alias, string target)
    {
        _arguments.Add($"--cname={Name(alias)},{Name(target)}");
        return this;
    }

    /// <summary>
    /// Asks <paramref name="server"/> about <paramref name="name"/> (and the names under it) for every
    /// type this zone has no record of (<c>--server=/name/ip#port</c>); see <see cref="BrokenNameServer"/>.
    /// </summary>
    public DnsZone Forward(string name, IPEndPoint server)
    {
        _arguments.Add($"--server=/{Name(name)}/{server.Address}#{server.Port.ToString(CultureInfo.InvariantCulture)}");
        return this;
    }

    /// <summary>An RFC 7505 null MX, "<paramref name="domain"/> MX 0 .".</summary>
    public DnsZone NullMx(string domain) =>
        // RDATA: preference 0 (two zero octets) + the root name (one zero octet).
        Record(domain, 15, "000000");

    /// <summary>A TXT record; text longer than 255 octets is split into several character-strings (as DKIM keys are).</summary>
    public DnsZone Txt(string name, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var rdata = new List<byte>();
        var offset = 0;
        do
        {
            var length = Math.Min(255, bytes.Length - offset);
            rdata.Add((byte)length);
            rdata.AddRange(bytes.AsSpan(offset, length));
            offset += length;
        }
        while (offset < bytes.Length);

        return Record(name, 16, Convert.ToHexString(rdata.ToArray()));
    }

    /// <summary>Any record, given its numeric type and RDATA in hex (dnsmasq <c>--dns-rr</c>).</summary>
    public DnsZone Record(string name, int type, string rdataHex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(type);
        _ = Convert.FromHexString(rdataHex);
        _arguments.Add($"--dns-rr={Name(name)},{type.ToString(CultureInfo.InvariantCulture)},{rdataHex}");
        return this;
    }

    internal IReadOnlyList<string> ToDnsmasqArguments() => _arguments;

    private static string Name(string name)
    {
        var ascii = Idn.GetAscii(name.Trim().TrimEnd('.')).ToLowerInvariant();
        if (!ascii.EndsWith(TestTld, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}': test DNS names must be under the .test TLD.", nameof(name));
        }

        return ascii;
    }
}
