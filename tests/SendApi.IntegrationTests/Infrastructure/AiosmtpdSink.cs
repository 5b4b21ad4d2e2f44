using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MimeKit;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A recipient MX that records what it receives: aiosmtpd (Debian's python3-aiosmtpd, run by
/// /usr/bin/python3) with the handler in Peers/smtp_sink.py. The recipient's local part picks
/// the behaviour:
/// <list type="bullet">
/// <item><c>defer-once*</c>: the first RCPT for that exact address gets "451 4.3.0 Try again later", later ones are accepted (state lives in the sink process).</item>
/// <item><c>defer-always*</c>: always "451 4.3.0 Try again later".</item>
/// <item><c>reject*</c>: "550 5.1.1 No such user".</item>
/// <item><c>slow*</c>: accepted, but the reply to the end of DATA comes after 2 s.</item>
/// <item>anything else: accepted.</item>
/// </list>
/// It advertises SIZE 52428800, 8BITMIME and SMTPUTF8, and keeps the bytes exactly as received
/// (after dot-unstuffing). Lines longer than 1000 octets are refused by aiosmtpd (500), as RFC 5321 allows.
/// </summary>
public sealed class AiosmtpdSink : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly ExternalProcess _process;

    private AiosmtpdSink(ExternalProcess process, string ip, int port, string directory)
    {
        _process = process;
        Ip = ip;
        Port = port;
        StorageDirectory = directory;
    }

    public string Ip { get; }

    public int Port { get; }

    /// <summary>Where the sink stores &lt;n&gt;.eml and &lt;n&gt;.json.</summary>
    public string StorageDirectory { get; }

    /// <summary>What the sink printed so far (aiosmtpd logs each SMTP command).</summary>
    public string Output => _process.Output;

    /// <summary>The complete messages received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedMessage> Messages => ReadMessages();

    /// <summary>Starts the sink on <paramref name="ip"/> (any 127.0.0.0/8 address) and <paramref name="port"/>.</summary>
    public static async Task<AiosmtpdSink> StartAsync(string ip, int port, string ehloHostname = "sink.test")
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Peers", "smtp_sink.py");
        if (!File.Exists(script))
        {
            throw new FileNotFoundException("The sink script was not copied to the test output folder.", script);
        }

        if (!File.Exists(Python))
        {
            throw new FileNotFoundException($"{Python} is missing; run tests/run.sh to install python3-aiosmtpd.", Python);
        }

        var directory = Directory.CreateTempSubdirectory("sendapi-sink-").FullName;
        var process = ExternalProcess.Start(
            Python,
            [script, "--host", ip, "--port", port.ToString(CultureInfo.InvariantCulture), "--dir", directory, "--ehlo-hostname", ehloHostname],
            new Dictionary<string, string?>
            {
                // Debian's interpreter must see only Debian's packages, whatever pyenv/venv is active.
                ["PYTHONPATH"] = null,
                ["PYTHONHOME"] = null,
                ["PYTHONUNBUFFERED"] = "1",
                ["PYTHONDONTWRITEBYTECODE"] = "1",
            });
        var sink = new AiosmtpdSink(process, ip, port, directory);
        try
        {
            await process.WaitForOutputLineAsync(line => line == "READY", StartTimeout, $"the aiosmtpd sink to listen on {ip}:{port}");
            await process.WaitForTcpAsync(IPAddress.Parse(ip), port, StartTimeout);
            return sink;
        }
        catch
        {
            await sink.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls every 50 ms until at least <paramref name="count"/> messages were received; returns them all.</summary>
    public Task<IReadOnlyList<ReceivedMessage>> WaitForMessagesAsync(int count, TimeSpan timeout) =>
        WaitForMessagesAsync(count, timeout, _ => true);

    /// <summary>
    /// Polls every 50 ms until at least <paramref name="count"/> received messages match
    /// <paramref name="match"/>; returns the matching ones. Lets tests share one sink.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedMessage>> WaitForMessagesAsync(int count, TimeSpan timeout, Func<ReceivedMessage, bool> match)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var messages = ReadMessages().Where(match).ToList();
            if (messages.Count >= count)
            {
                return messages;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The sink on {Ip}:{Port} exited with {messages.Count} of {count} messages received.\n{_process.Describe()}");
            }

            if (clock.Elapsed >= timeout)
            {
                var received = string.Join("\n", messages.Select(m => $"  from <{m.MailFrom}> to {string.Join(", ", m.RcptTos.Select(r => $"<{r}>"))}"));
                throw new TimeoutException(
                    $"The sink on {Ip}:{Port} received {messages.Count} of {count} expected messages within {timeout.TotalSeconds:0.#} s.\n"
                    + $"Received:\n{(received.Length == 0 ? "  (none)" : received)}\n{_process.Describe()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Stops the sink with SIGTERM (it exits with status 0 when it shuts down cleanly); returns the exit code.</summary>
    public Task<int> StopAsync() => _process.TerminateAsync(TimeSpan.FromSeconds(5));

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(StorageDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private List<ReceivedMessage> ReadMessages()
    {
        var result = new List<(int N, ReceivedMessage Message)>();
        foreach (var json in Directory.EnumerateFiles(StorageDirectory, "*.json"))
        {
            // The sink renames <n>.eml into place before <n>.json, so a .json means a complete pair.
            if (!int.TryParse(Path.GetFileNameWithoutExtension(json), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                continue;
            }

            var meta = JsonSerializer.Deserialize<SidecarJson>(File.ReadAllBytes(json))
                ?? throw new InvalidDataException($"Empty sidecar {json}.");
            var raw = File.ReadAllBytes(Path.ChangeExtension(json, ".eml"));
            result.Add((n, new ReceivedMessage(meta.MailFrom ?? string.Empty, meta.RcptTos ?? [], meta.Helo ?? string.Empty, raw)
            {
                Sequence = n,
                Peer = meta.Peer ?? string.Empty,
                MailOptions = meta.MailOptions ?? [],
                ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(meta.ReceivedAt * 1000)),
            }));
        }

        return result.OrderBy(r => r.N).Select(r => r.Message).ToList();
    }

    private sealed record SidecarJson(
        [property: System.Text.Json.Serialization.JsonPropertyName("mail_from")] string? MailFrom,
        [property: System.Text.Json.Serialization.JsonPropertyName("rcpt_tos")] List<string>? RcptTos,
        [property: System.Text.Json.Serialization.JsonPropertyName("helo")] string? Helo,
        [property: System.Text.Json.Serialization.JsonPropertyName("peer")] string? Peer,
        [property: System.Text.Json.Serialization.JsonPropertyName("mail_options")] List<string>? MailOptions,
        [property: System.Text.Json.Serialization.JsonPropertyName("received_at")] double ReceivedAt);
}

/// <summary>One message as the sink received it.</summary>
/// <param name="MailFrom">The MAIL FROM address (empty for the null reverse-path &lt;&gt;).</param>
/// <param name="RcptTos">The accepted RCPT TO addresses, in order.</param>
/// <param name="Helo">The EHLO/HELO argument the client sent.</param>
/// <param name="Raw">The message bytes exactly as received (CRLF line endings, dot-unstuffed).</param>
public sealed record ReceivedMessage(string MailFrom, IReadOnlyList<string> RcptTos, string Helo, byte[] Raw)
{
    /// <summary>The sink's message number (1, 2, ...).</summary>
    public int Sequence { get; init; }

    /// <summary>The client's "ip:port".</summary>
    public string Peer { get; init; } = string.Empty;

    /// <summary>The MAIL FROM parameters, upper-cased by aiosmtpd (e.g. "SIZE=123", "BODY=8BITMIME", "SMTPUTF8").</summary>
    public IReadOnlyList<string> MailOptions { get; init; } = [];

    /// <summary>When the sink accepted the DATA (its clock, the machine's).</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Parses <see cref="Raw"/> with MimeKit.</summary>
    public MimeMessage Parse()
    {
        using var stream = new MemoryStream(Raw, writable: false);
        return MimeMessage.Load(stream);
    }
}
