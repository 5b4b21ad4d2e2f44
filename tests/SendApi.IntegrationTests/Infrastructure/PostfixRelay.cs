using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A real Postfix MTA (Debian's, 3.7) as a separate instance of its own: configuration, queue, data
/// directory and log under one temp directory, started with <c>postfix -c &lt;dir&gt; start</c>. Its
/// smtpd listens on one loopback address and port and relays mail for <c>relayDomains</c>; every
/// delivery, including the bounces (DSNs) Postfix writes itself, goes to a fixed next hop per
/// domain (<c>transport_maps</c>), and mail for any other domain fails at once. So it can never send
/// anything off the machine: no relayhost, no DNS, no open relay.
/// <para>
/// Needs root (master(8) binds the port and switches to the <c>postfix</c> user), the <c>postfix</c>
/// user and the <c>postdrop</c> group, which Debian's postfix package creates even with "No
/// configuration". Nothing in /etc/postfix or /var/spool/postfix is changed, and the system's
/// main.cf is not needed (only Postfix's own file lists, postfix-files and dynamicmaps.cf, are read
/// from /etc/postfix): as root, <c>postfix -c</c> takes any configuration directory without
/// <c>alternate_config_directories</c> in the default main.cf, which is checked for unprivileged
/// callers only.
/// </para>
/// <para>
/// The log (<c>maillog_file</c>, through postlogd) also holds every header and body line the SMTP
/// client sends (<c>smtp_*_checks</c> with the INFO action), so a failing test can show the exact
/// DSN Postfix produced: Postfix keeps no copy of a message once it is delivered.
/// </para>
/// An instance left behind by a test host that died (SIGKILL, crash) is stopped and removed by the
/// next <see cref="StartAsync"/>; one still owned by a live process (a parallel run) is left alone.
/// </summary>
public sealed class PostfixRelay : IAsyncDisposable
{
    private const string DirectoryPrefix = "sendapi-postfix-";

    /// <summary>In the queue directory, which is master's working directory: names the owning test host.</summary>
    private const string OwnerFile = "sendapi-instance";
    private const int MaxDescribedChars = 48 * 1024;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly string _owner;
    private IDisposable? _endOnExit;
    private int _disposed;

    private PostfixRelay(string directory, string owner, string ip, int port)
    {
        RootDirectory = directory;
        _owner = owner;
        Ip = ip;
        Port = port;
    }

    /// <summary>The address smtpd listens on.</summary>
    public string Ip { get; }

    public int Port { get; }

    /// <summary>The temp directory holding everything of this instance.</summary>
    public string RootDirectory { get; }

    /// <summary>main.cf and master.cf (the <c>-c</c> directory).</summary>
    public string ConfigDirectory => Path.Combine(RootDirectory, "etc");

    public string QueueDirectory => Path.Combine(RootDirectory, "queue");

    /// <summary>Postfix's log (<c>maillog_file</c>).</summary>
    public string LogFile => Path.Combine(RootDirectory, "maillog");

    /// <summary>What <c>postconf -n</c> reported for the instance when it started.</summary>
    public string EffectiveConfiguration { get; private set; } = string.Empty;

    /// <summary>
    /// Configures and starts an instance whose smtpd listens on <paramref name="ip"/>:<paramref name="port"/>.
    /// </summary>
    /// <param name="ip">Any 127.0.0.0/8 address.</param>
    /// <param name="relayDomains">Domains smtpd accepts recipients of (<c>relay_domains</c>); others get "554 5.7.1 Relay access denied".</param>
    /// <param name="routes">
    /// Domain → next hop (<c>smtp:[ip]:port</c>), for relayed mail and for Postfix's own bounces
    /// (which go to the envelope sender's domain). Any other destination goes to the error transport.
    /// </param>
    /// <param name="settings">More main.cf settings, written last (they override the fixture's).</param>
    public static async Task<PostfixRelay> StartAsync(
        string ip,
        int port,
        IEnumerable<string> relayDomains,
        IReadOnlyDictionary<string, IPEndPoint> routes,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The Postfix relay runs on Linux only (Debian's postfix package, /proc).");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("A Postfix instance needs root: master(8) runs as root and switches to the postfix user.");
        }

        if (!IPAddress.TryParse(ip, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"'{ip}' is not a loopback address: the test MTA stays on 127.0.0.0/8.", nameof(ip));
        }

        if (routes.Values.FirstOrDefault(hop => !IPAddress.IsLoopback(hop.Address)) is { } outside)
        {
            throw new ArgumentException($"Next hop {outside} is not on loopback: the test MTA never sends mail off the machine.", nameof(routes));
        }

        await CleanUpAbandonedInstancesAsync();

        var directory = Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        // The daemons run as the postfix user and open data_directory and the log by absolute path.
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var owner = $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} {ExternalProcess.StartTime(Environment.ProcessId)} {Guid.NewGuid():N}";
        var relay = new PostfixRelay(directory, owner, ip, port);

        // postfix chdirs into the queue directory first; "check" then fills it in.
        Directory.CreateDirectory(relay.QueueDirectory);
        await File.WriteAllTextAsync(Path.Combine(relay.QueueDirectory, OwnerFile), owner);

        // A master(8) is a daemon, not a child of the test host: nothing else ends it when the host
        // exits without disposing it. A host killed outright is covered by the next run's clean-up.
        relay._endOnExit = ExternalProcess.EndOnHostExit(() => relay.SignalMaster(ExternalProcess.SigTerm));
        try
        {
            Directory.CreateDirectory(relay.ConfigDirectory);
            await File.WriteAllTextAsync(Path.Combine(relay.ConfigDirectory, "main.cf"), relay.MainCf(relayDomains, routes, settings));
            await File.WriteAllTextAsync(Path.Combine(relay.ConfigDirectory, "master.cf"), relay.MasterCf());
            // INFO with the whole line as its text: smtp(8) itself logs only a line's first 60 characters.
            await File.WriteAllTextAsync(Path.Combine(relay.ConfigDirectory, "trace.regexp"), "/^(.*)$/ INFO |$1\n");

            // postconf reports unknown or misspelled parameters on stderr ("unused parameter"), the
            // postfix command only to the log and only once maillog_file is usable: check first.
            var (postconfExit, postconf) = await RunAsync(ExternalProcess.ResolveExecutable("postconf"), ["-c", relay.ConfigDirectory, "-n"]);
            relay.EffectiveConfiguration = postconf;
            if (postconfExit != 0 || postconf.Contains("postconf: warning", StringComparison.Ordinal) || postconf.Contains("fatal", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"postconf -c {relay.ConfigDirectory} -n rejected the configuration:\n{postconf}");
            }

            // "check" creates the queue and data directories with Postfix's owners and modes; "start"
            // returns once master(8) has initialised (master -w), or fails with the reason in the log.
            await relay.PostfixAsync("check");
            await relay.PostfixAsync("start");
            await ExternalProcess.WaitForTcpAsync(IPAddress.Parse(ip), port, StartTimeout, relay.Describe);
            return relay;
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }
    }

    /// <summary>The log so far.</summary>
    public string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return string.Empty;
        }
    }

    /// <summary>Polls the log every 50 ms until a line matches; returns that line.</summary>
    public async Task<string> WaitForLogLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (ReadLog().Split('\n').FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for Postfix to log {what}.\n{Describe()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The message with queue id <paramref name="queueId"/> as the SMTP client sent it, from the
    /// log's content trace: one line per header (a folded header stays on one line, its line break
    /// and indent logged as "??") and per non-empty body line.
    /// </summary>
    public string SentContent(string queueId)
    {
        var marker = $" {queueId}: info: ";
        var content = new StringBuilder();
        foreach (var line in ReadLog().Split('\n'))
        {
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var text = line[(at + marker.Length)..];
            foreach (var kind in (string[])["header ", "body "])
            {
                if (text.StartsWith(kind, StringComparison.Ordinal))
                {
                    content.AppendLine(WholeLine(text[kind.Length..]));
                    break;
                }
            }
        }

        return content.ToString();
    }

    /// <summary>
    /// smtp(8) logs a checked line as "&lt;its first 60 characters&gt;: &lt;the INFO text&gt;", and
    /// trace.regexp makes the INFO text "|" and the whole line (the bar keeps the line's leading
    /// spaces, which Postfix trims off the text): this returns that whole line.
    /// </summary>
    private static string WholeLine(string logged)
    {
        const int Shown = 60;
        const string Separator = ": |";
        var length = logged.Length > 2 * Shown + Separator.Length
            ? logged.Length - Shown - Separator.Length
            : (logged.Length - Separator.Length) / 2;
        var shown = Math.Min(Shown, length);
        return length >= 0
            && logged.Length == shown + Separator.Length + length
            && logged.AsSpan(shown, Separator.Length).SequenceEqual(Separator)
            && logged.AsSpan(0, shown).SequenceEqual(logged.AsSpan(shown + Separator.Length, shown))
            ? logged[(shown + Separator.Length)..]
            : logged;
    }

    /// <summary>The configuration and the log (its end, when long), for assertion messages.</summary>
    public string Describe()
    {
        var log = ReadLog();
        if (log.Length > MaxDescribedChars)
        {
            log = "[...]\n" + log[^MaxDescribedChars..];
        }

        return $"Postfix instance {ConfigDirectory} (smtpd on {Ip}:{Port})\n--- postconf -n ---\n{EffectiveConfiguration}"
            + $"--- {LogFile} ---\n{log}--- end of Postfix log ---";
    }

    /// <summary>Stops the instance (<c>postfix abort</c>, then SIGKILL to its process group if needed) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await StopAsync(RootDirectory, _owner);
        }
        finally
        {
            _endOnExit?.Dispose();
        }

        // A master that somehow survived keeps its directory, so the next run's clean-up can find it.
        if (MasterPid(_owner) is null)
        {
            DeleteDirectory(RootDirectory);
        }
    }

    private string MainCf(IEnumerable<string> relayDomains, IReadOnlyDictionary<string, IPEndPoint> routes, IReadOnlyDictionary<string, string>? settings)
    {
        var transports = string.Join(", ", routes.Select(route =>
            $"{route.Key.ToLowerInvariant()}=smtp:[{route.Value.Address}]:{route.Value.Port.ToString(CultureInfo.InvariantCulture)}"));
        var parameters = new List<(string Name, string Value)>
        {
            ("compatibility_level", "3.6"),

            // An instance of its own: nothing shared with the system's Postfix (/etc/postfix, /var/spool/postfix).
            ("queue_directory", QueueDirectory),
            ("data_directory", Path.Combine(RootDirectory, "data")),
            ("mail_owner", "postfix"),
            ("setgid_group", "postdrop"),
            ("myhostname", "mta.postfix-relay.test"),
            ("mydomain", "postfix-relay.test"),
            ("myorigin", "$myhostname"),
            ("syslog_name", "postfix-relay"),
            ("maillog_file", LogFile),
            ("maillog_file_prefixes", RootDirectory),

            // inet_interfaces must name an address of an interface (127.0.0.1 is, 127.0.0.20 is not);
            // smtpd is bound to its own address in master.cf.
            ("inet_interfaces", "127.0.0.1"),
            ("inet_protocols", "ipv4"),

            // Delivers nothing locally and relays only relay_domains, whoever the client is.
            ("mydestination", string.Empty),
            ("local_recipient_maps", string.Empty),
            ("alias_maps", string.Empty),
            ("alias_database", string.Empty),
            ("mynetworks", "127.0.0.1/32"),
            ("relay_domains", string.Join(", ", relayDomains)),
            ("smtpd_relay_restrictions", "reject_unauth_destination"),
            ("smtpd_peername_lookup", "no"),
            ("smtpd_tls_security_level", "none"),

            // Every destination is a fixed loopback next hop; anything else fails instead of being looked up.
            ("transport_maps", $"inline:{{ {transports} }}"),
            ("relayhost", string.Empty),
            ("default_transport", "error:5.7.1 this test MTA delivers to its configured next hops only"),
            ("relay_transport", "$default_transport"),
            ("smtp_dns_support_level", "disabled"),
            ("smtp_host_lookup", "native"),
            ("smtp_connect_timeout", "5s"),

            // Opportunistic TLS as a stock Debian Postfix does it: STARTTLS when the next hop offers it, no certificate checks.
            ("smtp_tls_security_level", "may"),
            ("smtp_tls_loglevel", "1"),

            // Deliveries start at once; a deferred one (a 4xx from the next hop) is retried within seconds, not minutes.
            ("queue_run_delay", "1s"),
            ("minimal_backoff_time", "1s"),
            ("maximal_backoff_time", "2s"),

            // Logs every header and body line the SMTP client sends (see the class remarks).
            ("smtp_header_checks", $"regexp:{Path.Combine(ConfigDirectory, "trace.regexp")}"),
            ("smtp_mime_header_checks", "$smtp_header_checks"),
            ("smtp_nested_header_checks", "$smtp_header_checks"),
            ("smtp_body_checks", "$smtp_header_checks"),
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            parameters.RemoveAll(p => p.Name == name);
            parameters.Add((name, value));
        }

        return string.Concat(parameters.Select(p => $"{p.Name} = {p.Value}\n"));
    }

    /// <summary>
    /// The services a relay needs, none chrooted (the chroot would need copies of /etc files under
    /// the queue directory), plus postlogd for maillog_file.
    /// </summary>
    private string MasterCf() =>
        $"""
        # service type  private unpriv  chroot  wakeup  maxproc command
        {Ip}:{Port.ToString(CultureInfo.InvariantCulture)} inet n - n - - smtpd
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        tlsmgr    unix  -       -       n       1000?   1       tlsmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd

        """;

    private async Task PostfixAsync(string command)
    {
        var (exitCode, output) = await RunAsync(ExternalProcess.ResolveExecutable("postfix"), ["-c", ConfigDirectory, command]);
        if (exitCode != 0)
        {
            // The postfix command writes to stderr only on a terminal; its reasons are in the log.
            throw new InvalidOperationException($"postfix -c {ConfigDirectory} {command} exited with {exitCode}.\n{output}\n{Describe()}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments)
    {
        await using var process = ExternalProcess.Start(program, arguments);
        var exitCode = await process.WaitForExitAsync(CommandTimeout);
        return (exitCode, process.Output);
    }

    /// <summary>
    /// Stops the instance in <paramref name="directory"/> if it runs: <c>postfix abort</c> (SIGTERM
    /// to master, which ends its children), then SIGKILL to master's process group if it is still
    /// there after <see cref="StopTimeout"/>.
    /// </summary>
    private static async Task StopAsync(string directory, string owner)
    {
        if (MasterPid(owner) is not { } master)
        {
            return;
        }

        int exitCode;
        try
        {
            (exitCode, _) = await RunAsync(ExternalProcess.ResolveExecutable("postfix"), ["-c", Path.Combine(directory, "etc"), "abort"]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            exitCode = -1;
        }

        if (exitCode != 0)
        {
            // Its configuration is unusable (a half-written directory): the signal postfix-script would send.
            _ = ExternalProcess.Signal(master, ExternalProcess.SigTerm);
        }

        var clock = Stopwatch.StartNew();
        while (MasterPid(owner) is { } pid)
        {
            if (clock.Elapsed > StopTimeout)
            {
                // master(8) leads its own process group (setsid): this ends it and every daemon it started.
                _ = ExternalProcess.Signal(-pid, ExternalProcess.SigKill);
                await Task.Delay(100);
                break;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A signal to this instance's master, synchronously (for the host's exit).</summary>
    private void SignalMaster(int signal)
    {
        if (MasterPid(_owner) is { } pid)
        {
            _ = ExternalProcess.Signal(pid, signal);
        }
    }

    /// <summary>
    /// The pid of the instance's master(8), when it runs: the "master" process whose working
    /// directory (master chdirs to queue_directory) holds this instance's owner file. Not read from
    /// pid/master.pid: master holds an exclusive lock on it, which .NET's shared read lock fails on.
    /// </summary>
    private static int? MasterPid(string owner)
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // Read through the cwd link itself, never a "cwd/.." path: .NET folds those lexically.
                if (File.ReadAllText($"{entry}/comm").Trim() == "master" && File.ReadAllText($"{entry}/cwd/{OwnerFile}") == owner)
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not a master of ours.
            }
        }

        return null;
    }

    /// <summary>
    /// Stops and removes instances whose owning test host is gone (killed before it could dispose
    /// them): each directory's owner file names the host's pid and start time.
    /// </summary>
    private static async Task CleanUpAbandonedInstancesAsync()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            string owner;
            try
            {
                owner = await File.ReadAllTextAsync(Path.Combine(directory, "queue", OwnerFile));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not ours, or created a moment ago and not yet marked: leave it unless it is old.
                if (Directory.GetLastWriteTimeUtc(directory) < DateTime.UtcNow.AddHours(-1))
                {
                    DeleteDirectory(directory);
                }

                continue;
            }

            var fields = owner.Split(' ');
            if (fields.Length == 3
                && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ExternalProcess.StartTime(pid) == fields[1])
            {
                continue;
            }

            await StopAsync(directory, owner);
            if (MasterPid(owner) is null)
            {
                DeleteDirectory(directory);
            }
        }
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a daemon may still be writing; the next run's clean-up tries again.
        }
    }
}
