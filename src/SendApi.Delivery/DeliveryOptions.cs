using System.Net;
using SendApi.Core;

namespace SendApi.Delivery;

/// <summary>Settings under "Delivery" (env <c>Delivery__*</c>). Durations are strings such as "90s", "15m", "48h".</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>Where mail goes: <c>smtp</c>, the recipients' MX hosts; or <c>capture</c>, kept and shown at /captured, never sent.</summary>
    public string Mode { get; set; } = SmtpMode;

    internal const string SmtpMode = "smtp";
    internal const string CaptureMode = "capture";

    public bool Captures => string.Equals(Mode, CaptureMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>Port of the recipients' MX hosts. 25 in production; tests point it at a local sink.</summary>
    public int Port { get; set; } = 25;

    /// <summary>Name we greet with (EHLO) and the domain of the Message-IDs we create.</summary>
    public string HeloName { get; set; } = Dns.GetHostName();

    /// <summary>How long a message keeps being retried before it fails.</summary>
    public string MaxAge { get; set; } = "48h";

    /// <summary>Delays between attempts after a temporary failure; the last one repeats until MaxAge.</summary>
    public string RetrySchedule { get; set; } = "1m,5m,15m,30m,1h,2h,4h";

    public string ConnectTimeout { get; set; } = "30s";

    /// <summary>Time allowed for each SMTP command's reply (RFC 5321 §4.5.3.2 suggests minutes).</summary>
    public string CommandTimeout { get; set; } = "2m";

    /// <summary>
    /// How long a claimed message is reserved for the worker that holds it. Workers renew it every
    /// third of this; a worker that died stops renewing and the message is taken up again after it.
    /// </summary>
    public string ClaimLease { get; set; } = "2m";

    /// <summary>
    /// How often this instance tells the store it is alive (<c>Delivery__InstanceHeartbeat</c>).
    /// </summary>
    public string InstanceHeartbeat { get; set; } = "2s";

    /// <summary>
    /// An instance whose heartbeat is older than this is taken to be dead (<c>Delivery__InstanceTimeout</c>):
    /// another instance takes over its claimed messages and its domain connection slots then, instead of
    /// after <see cref="ClaimLease"/>. At least twice the heartbeat.
    /// </summary>
    public string InstanceTimeout { get; set; } = "10s";

    /// <summary>
    /// Messages one delivery job has in flight at once. With <see cref="Workers"/> this bounds what an
    /// instance delivers at the same time (Workers × ConcurrencyPerJob).
    /// </summary>
    public int ConcurrencyPerJob { get; set; } = 32;

    /// <summary>
    /// How long a delivery job keeps taking new mail. Then it finishes what it holds and ends, so jobs
    /// stay short beside Hangfire's invisibility timeout (30 minutes on Redis) and each row in the
    /// dashboard is a bounded piece of work.
    /// </summary>
    public string JobLifetime { get; set; } = "1m";

    /// <summary>Hangfire workers per instance: delivery jobs that run at the same time.</summary>
    public int Workers { get; set; } = Math.Max(4, Environment.ProcessorCount * 4);

    /// <summary>
    /// How often the pump, and a delivery job with free slots, look for due mail when nothing wakes
    /// them (mail accepted by another instance, a dead worker's lapsed claims); also how often
    /// Hangfire looks for scheduled retry jobs that fell due.
    /// </summary>
    public string PollInterval { get; set; } = "1s";

    /// <summary>Transactions one SMTP connection carries before it is closed (Postfix: smtp_connection_reuse_count_limit).</summary>
    public int MessagesPerConnection { get; set; } = 100;

    /// <summary>An unused pooled connection is closed after this long.</summary>
    public string ConnectionIdleTimeout { get; set; } = "30s";

    /// <summary>Open connections to one MX address, across all domains it serves, per instance.</summary>
    public int MaxConnectionsPerHost { get; set; } = 20;

    /// <summary>
    /// Domain of the per-message return path (VERP): MAIL FROM is
    /// bounces+&lt;message id&gt;-&lt;recipient&gt;-&lt;signature&gt;@ReturnPathDomain, so that a bounce maps to
    /// the exact message and recipient. Empty: the sender's own address is the return path.
    /// </summary>
    public string? ReturnPathDomain { get; set; }

    /// <summary>
    /// The secret that signs return paths (at least 32 characters, e.g. <c>openssl rand -hex 32</c>).
    /// Unset: a random key is generated once and kept in the store, shared by every instance.
    /// Changing it invalidates the return paths of messages already sent.
    /// </summary>
    public string? ReturnPathKey { get; set; }

    /// <summary>Comma-separated domains that must be reached over TLS: plaintext is refused (deferred).</summary>
    public string? RequireTlsDomains { get; set; }

    /// <summary>Limits for domains without their own entry in <see cref="Domains"/>.</summary>
    public DomainLimits DefaultLimits { get; set; } = new() { MaxConnections = 20, MaxMessagesPerSecond = 0 };

    /// <summary>Per-domain limits, e.g. Delivery__Domains__gmail.com__MaxMessagesPerSecond=50.</summary>
    public Dictionary<string, DomainLimits> Domains { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Replies that slow a domain down; empty = the built-in rules (Gmail 4.7.28, Microsoft RP-00x, Yahoo TS0x, 421 "too many").</summary>
    public List<Throttling.BackoffRule> BackoffRules { get; set; } = [];

    internal TimeSpan ConnectionIdleTimeoutValue => Durations.Parse(ConnectionIdleTimeout, "Delivery:ConnectionIdleTimeout");

    internal IReadOnlySet<string> RequireTlsDomainSet =>
        (RequireTlsDomains ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);

    internal DomainLimits LimitsFor(string domain) => Domains.TryGetValue(domain, out var limits) ? limits : DefaultLimits;

    internal TimeSpan MaxAgeValue => Durations.Parse(MaxAge, "Delivery:MaxAge");

    internal TimeSpan ConnectTimeoutValue => Durations.Parse(ConnectTimeout, "Delivery:ConnectTimeout");

    internal TimeSpan CommandTimeoutValue => Durations.Parse(CommandTimeout, "Delivery:CommandTimeout");

    internal TimeSpan ClaimLeaseValue => Durations.Parse(ClaimLease, "Delivery:ClaimLease");

    internal TimeSpan InstanceHeartbeatValue => Durations.Parse(InstanceHeartbeat, "Delivery:InstanceHeartbeat");

    internal TimeSpan InstanceTimeoutValue => Durations.Parse(InstanceTimeout, "Delivery:InstanceTimeout");

    internal TimeSpan JobLifetimeValue => Durations.Parse(JobLifetime, "Delivery:JobLifetime");

    public TimeSpan PollIntervalValue => Durations.Parse(PollInterval, "Delivery:PollInterval");

    internal IReadOnlyList<TimeSpan> RetryScheduleValue =>
        Durations.TryParseList(RetrySchedule, out var list) ? list : throw new FormatException("Delivery:RetrySchedule is invalid.");
}

/// <summary>Delivery limits for one destination domain, enforced across every instance sharing the store.</summary>
public sealed class DomainLimits
{
    /// <summary>Simultaneous SMTP transactions to the domain.</summary>
    public int MaxConnections { get; set; } = 20;

    /// <summary>Messages per second to the domain; 0 = unlimited.</summary>
    public double MaxMessagesPerSecond { get; set; }
}

/// <summary>Settings under "Dns" (env <c>Dns__*</c>).</summary>
public sealed class DnsOptions
{
    public const string Section = "Dns";

    /// <summary>Comma-separated resolvers, e.g. "127.0.0.1:5353,[::1]:53". Empty = the system's resolvers.</summary>
    public string? Servers { get; set; }

    public string Timeout { get; set; } = "5s";

    internal TimeSpan TimeoutValue => Durations.Parse(Timeout, "Dns:Timeout");

    internal static bool TryParseServers(string? text, out IReadOnlyList<IPEndPoint> servers)
    {
        var list = new List<IPEndPoint>();
        servers = list;
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPAddress.TryParse(part, out var address))
            {
                list.Add(new IPEndPoint(address, 53));
            }
            else if (IPEndPoint.TryParse(part, out var endpoint))
            {
                list.Add(endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint);
            }
            else
            {
                return false;
            }
        }

        return true;
    }
}
