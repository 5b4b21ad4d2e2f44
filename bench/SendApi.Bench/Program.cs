// Measures how fast SendApi accepts messages and how fast it delivers them, end to end, on this
// machine: SendApi (Release build, Redis mode) → dnsmasq → Postfix smtp-sink.
// Usage: bench/run.sh                                             issue 18's comparison (see Comparison.cs): Postfix relay vs SendApi over
//                                                                 SMTP and HTTP, counted at the sink; [--messages 10000] [--sizes 2048,102400]
//                                                                 [--durability everysec|always] [--smtp-sessions 20] [--concurrency 64]
//                                                                 [--open-loop-rate 500] [--open-loop-seconds 20] [--idle-sample-seconds 5]
//                                                                 [--open-loop-latencies FILE] (each request's send time and latency, CSV)
//                                                                 [--warmup 2000] (messages per path and size first, not counted; 0: cold)
//        bench/run.sh --drain [--messages N] [--concurrency C]    HTTP: C concurrent POST /messages clients, until the due queue is empty
//        bench/run.sh --drain [--messages N] --smtp-sessions S   SMTP: Postfix smtp-source, S parallel sessions
//        bench/run.sh [--concurrency C] --kill-after S            crash recovery: C HTTP clients for S seconds, SIGKILL, restart
//        bench/run.sh [--messages 2000] --kills K [--seed N]      issue 13's experiment: HTTP + SMTP at 100/s, K random SIGKILLs,
//                                                                 duplicates per kill and time to all delivered (see CrashExperiment)
//        bench/run.sh --queued N [--quiet-seconds 10] [--sample-seconds 30] [--body-bytes 2048]
//                                                                 issue 18's memory target: SendApi's RSS with N messages accepted, attempted once
//                                                                 and waiting for a retry (their MX refuses connections); see QueuedMemory
//        any of them with --set Name=Value (repeatable): a setting for SendApi, e.g. --set Delivery__Workers=16
//        HTTP with --durability process|fsync|replica (Storage__Durability, and the Redis it needs) and --body-bytes B
//        HTTP with --template: each message renders a stored template (with a layout) from its own variables (TemplatedSends)
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;

var killAfter = Option("--kill-after", 0);
var kills = Option("--kills", 0);
var queued = Option("--queued", 0);
// With no mode named, the comparison; --drain is the single-path run of the rows before issue 18.
var compare = !args.Contains("--drain") && killAfter == 0 && kills == 0 && queued == 0;
var messages = Option("--messages", compare ? 10000 : 20000);
var concurrency = Option("--concurrency", 64);
var smtpSessions = Option("--smtp-sessions", compare ? 20 : 0);
// The comparison names Redis's fsync policy (everysec, always); the level SendApi checks follows it.
var durability = TextOption("--durability", "process") switch
{
    "everysec" => "process",
    "always" => "fsync",
    var level => level,
};
var runId = Guid.NewGuid().ToString("N")[..8];
var unavailable = 0;
var sendCalls = 0;
var bodyBytes = Option("--body-bytes", 0);
var templated = args.Contains("--template");
// An Idempotency-Key on every POST makes a retried 503 safe (fsync and replica answer 503 when a write
// isn't confirmed in time); it costs a store round trip of its own, so the process level goes without
// unless asked (--idempotency-keys), as the runs before keys were bound to request bodies did.
var idempotencyKeys = durability != "process" || args.Contains("--idempotency-keys");
if (durability is not ("process" or "fsync" or "replica"))
{
    throw new ArgumentException($"--durability must be process, fsync or replica; got '{durability}'.");
}
var app = args.SkipWhile(a => a != "--app").Skip(1).FirstOrDefault()
    ?? throw new ArgumentException("--app <path to SendApi.dll> is required (bench/run.sh passes it)");
const string AdminKey = "bench-admin-key-0123456789";

var smtpPort = FreePort.Tcp();
var redisPort = FreePort.Tcp();
var httpPort = FreePort.Tcp();
var submissionPort = FreePort.Tcp();
var redisDir = Directory.CreateTempSubdirectory("sendapi-bench-redis").FullName;

// Production-like Redis: AOF with fsync every second, as in infra/docker-compose.yml; with
// --durability fsync, every second becomes every write (what Storage__Durability=fsync checks for on
// Redis 7.0); with --durability replica, a replica of it on its own port and directory.
var appendFsync = durability == "fsync" ? "always" : "everysec";
await using var redis = ExternalProcess.Start("redis-server",
    ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--dir", redisDir, "--appendonly", "yes", "--appendfsync", appendFsync, "--save", "", "--maxmemory-policy", "noeviction"]);
await redis.WaitForTcpAsync("127.0.0.1", redisPort, TimeSpan.FromSeconds(10));
var replicaDir = Directory.CreateTempSubdirectory("sendapi-bench-replica").FullName;
await using var replica = durability == "replica"
    ? ExternalProcess.Start("redis-server",
        ["--port", $"{FreePort.Tcp()}", "--bind", "127.0.0.1", "--dir", replicaDir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--replicaof", $"127.0.0.1 {redisPort}"])
    : null;
if (replica is not null)
{
    await WaitForReplicaAsync();
}

// A real zone's TTL (the test suite's zones have 0, so that nothing is cached between tests): with
// TTL 0 every delivery asked dnsmasq for the MX and its addresses again, a tenth of SendApi's CPU per
// small message by a profile, which no real MX record costs. And answered as a real zone's server
// answers (AuthoritativeWithSoa): the AAAA of mx.bench.test, which has only an A record, is NODATA
// with the zone's SOA, which a resolver may remember for the SOA's negative TTL (RFC 2308); without
// the SOA it was asked again by every delivery, 7-9 % of SendApi's CPU at 2 KB by a profile.
// --queued's domain has its MX on 127.0.0.3, on the sink's port, where nothing listens: each attempt
// is refused, a temporary failure, and the mail stays queued for its retries.
const string DownMx = "127.0.0.3";
await using var dns = await DnsServer.StartAsync(
    z => z.Mx("bench.test", "mx.bench.test", 10).A("mx.bench.test", "127.0.0.2").Mx(QueuedMemory.Domain, "mx." + QueuedMemory.Domain, 10).A("mx." + QueuedMemory.Domain, DownMx),
    DnsServerMode.AuthoritativeWithSoa,
    ttlSeconds: 300);
string[] sinkArgs = Environment.UserName == "root" ? ["-u", "root", $"127.0.0.2:{smtpPort}", "1024"] : [$"127.0.0.2:{smtpPort}", "1024"];
var sinkDir = Directory.CreateTempSubdirectory("sendapi-bench-sink").FullName;
// The comparison counts at the sink what every path delivered (SinkCounter); the other modes only need one.
await using var counter = compare ? await SinkCounter.StartAsync("127.0.0.2", smtpPort) : null;
await using var sink = compare
    ? null
    : kills > 0
    ? ExternalProcess.Start("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "Peers", "smtp_sink.py"), "--host", "127.0.0.2", "--port", $"{smtpPort}", "--dir", sinkDir],
        new Dictionary<string, string?> { ["PYTHONPATH"] = null, ["PYTHONHOME"] = null, ["PYTHONUNBUFFERED"] = "1" })
    : ExternalProcess.Start(ExternalProcess.ResolveExecutable("smtp-sink"), sinkArgs);
if (sink is not null)
{
    await sink.WaitForTcpAsync("127.0.0.2", smtpPort, TimeSpan.FromSeconds(10));
}

// The relay SendApi is compared with: Postfix with its own configuration and queue in a temp
// directory, relaying bench.test to the same sink (a fixed next hop, so no DNS of its own).
await using var postfix = compare
    ? await PostfixRelay.StartAsync("127.0.0.1", FreePort.Tcp(), ["bench.test"],
        new Dictionary<string, System.Net.IPEndPoint> { ["bench.test"] = new(System.Net.IPAddress.Parse("127.0.0.2"), smtpPort) },
        new Dictionary<string, string>
        {
            // Not the test suite's content trace (a log line per header and body line): a relay's own logging only.
            ["smtp_header_checks"] = "",
            ["smtp_mime_header_checks"] = "",
            ["smtp_nested_header_checks"] = "",
            ["smtp_body_checks"] = "",
            ["smtp_tls_security_level"] = "none",
        })
    : null;

// SendApi runs in its own directory, as a deployed one would: its content root (appsettings.json, and
// the file watcher behind reloadOnChange) is then not /tmp, where every test and bench file comes and goes.
var appDirectory = Path.GetDirectoryName(Path.GetFullPath(app))!;
var environment = new Dictionary<string, string?>
{
    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
    ["Admin__ApiKey"] = AdminKey,
    ["Dns__Servers"] = dns.Server,
    ["Delivery__Port"] = $"{smtpPort}",
    ["Delivery__HeloName"] = "sendapi.test",
    ["Logging__LogLevel__Default"] = "Warning",
    ["ConnectionStrings__Redis"] = $"127.0.0.1:{redisPort}",
    ["Smtp__BindAddress"] = "127.0.0.1",
    ["Smtp__Submission__Port"] = $"{submissionPort}",
    ["Smtp__SubmissionTls__Port"] = "0",
    // Port 25 is not under test, and another SendApi on this machine may hold it.
    ["Smtp__Inbound__Port"] = "0",
    // smtp-source speaks neither TLS nor AUTH: the load comes from a trusted network, as an app server's would.
    ["Smtp__Submission__TrustedNetworks"] = "127.0.0.0/8",
    ["Smtp__Submission__TrustedApiKey"] = AdminKey,
    ["Storage__Durability"] = durability,
};
// What SendApi allocates, from the hook beside this program (any build of SendApi can load it).
var allocationsFile = Path.Combine(redisDir, "sendapi-allocations");
environment["DOTNET_STARTUP_HOOKS"] = Path.Combine(AppContext.BaseDirectory, "SendApi.Bench.Hook.dll");
environment["SENDAPI_BENCH_ALLOCATIONS"] = allocationsFile;
for (var i = Array.IndexOf(args, "--set"); i >= 0 && i + 1 < args.Length; i = Array.IndexOf(args, "--set", i + 1))
{
    var (name, value) = (args[i + 1].Split('=', 2)[0], args[i + 1].Split('=', 2).ElementAtOrDefault(1));
    environment[name] = value;
    Console.WriteLine($"setting:        {name}={value}");
}

await using var sendApi = ExternalProcess.Start("dotnet", [app], environment, appDirectory);
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
await WaitReadyAsync();
if (templated)
{
    await TemplatedSends.CreateAsync(http);
}

// Warm up (JIT, connections), then measure.
await SendAllAsync(200, 16);
await WaitForEmptyQueueAsync(TimeSpan.FromSeconds(60));

if (compare)
{
    using var redisAdmin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2,allowAdmin=true");
    return await Comparison.RunAsync(
        new Comparison.Stack(http, submissionPort, sendApi, redisAdmin.GetServer(redisAdmin.GetEndPoints()[0]), allocationsFile, counter!, postfix!, WaitForEmptyQueueAsync, idempotencyKeys),
        new Comparison.Settings(messages, [.. TextOption("--sizes", "2048,102400").Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))], smtpSessions, concurrency,
            Option("--open-loop-rate", 500), Option("--open-loop-seconds", 20), TimeSpan.FromSeconds(Option("--idle-sample-seconds", 5)), durability == "fsync" ? "always" : "everysec",
            Option("--warmup", Math.Min(2000, messages)))
            { OpenLoopLatencies = TextOption("--open-loop-latencies", "") is { Length: > 0 } latencies ? Path.GetFullPath(latencies) : null });
}

if (queued > 0)
{
    using var redisAdmin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2,allowAdmin=true");
    return await QueuedMemory.RunAsync(
        new QueuedMemory.Stack(http, sendApi, redisAdmin, allocationsFile, DownMx, smtpPort),
        new QueuedMemory.Settings(queued, concurrency, bodyBytes > 0 ? bodyBytes : 2048,
            TimeSpan.FromSeconds(Option("--quiet-seconds", 10)), TimeSpan.FromSeconds(Option("--sample-seconds", 30))));
}

if (kills > 0)
{
    return await CrashExperiment.RunAsync(messages == 20000 ? 2000 : messages, kills, Option("--seed", Environment.TickCount), () => ExternalProcess.Start("dotnet", [app], environment, appDirectory),
        sendApi, WaitReadyAsync, http, submissionPort, redisPort, sinkDir);
}

if (killAfter > 0)
{
    return await CrashRecoveryAsync();
}

var how = smtpSessions > 0 ? $"{smtpSessions} SMTP session(s) (smtp-source)" : $"{concurrency} concurrent HTTP clients, {(templated ? "templated (render + accept)" : bodyBytes > 0 ? $"{bodyBytes}-byte text" : "short text")} body";
var stored = durability switch
{
    "fsync" => "Redis (AOF always), Storage__Durability=fsync",
    "replica" => "Redis (AOF everysec) + 1 replica, Storage__Durability=replica",
    _ => "Redis (AOF everysec)",
};
Console.WriteLine($"SendApi bench: {messages} messages, {how}, storage {stored}, {Environment.ProcessorCount} cores");
Console.WriteLine($"load average:   {LoadAverage()} at the start");
using var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2,allowAdmin=true");
var cost = await CostMeter.StartAsync(admin.GetServer(admin.GetEndPoints()[0]), sendApi.Id, allocationsFile);
var total = Stopwatch.StartNew();
var ids = smtpSessions > 0 ? await SubmitOverSmtpAsync(messages, smtpSessions) : await SendAllAsync(messages, concurrency);
var acceptSeconds = total.Elapsed.TotalSeconds;
Console.WriteLine($"accepted:       {messages / acceptSeconds,8:0} msg/s  ({acceptSeconds:0.00} s; HTTP 202 or SMTP 250; {unavailable} answer(s) 503, retried)");
await WaitForEmptyQueueAsync(TimeSpan.FromMinutes(10));
var endToEndSeconds = total.Elapsed.TotalSeconds;
Console.WriteLine($"delivered:      {messages / endToEndSeconds,8:0} msg/s end to end ({endToEndSeconds:0.00} s from first POST to empty queue)");
Console.WriteLine($"load average:   {LoadAverage()} at the end");
await cost.ReportAsync(messages, total.Elapsed);
Console.WriteLine($"dns queries:    MX {dns.Queries("MX", "bench.test")}, A {dns.Queries("A", "mx.bench.test")}, AAAA {dns.Queries("AAAA", "mx.bench.test")} (mx.bench.test; TTL and SOA negative TTL 300 s)");

// Spot-check that "empty queue" meant "delivered".
var sample = ids.OrderBy(_ => Random.Shared.Next()).Take(50).ToList();
var statuses = await Task.WhenAll(sample.Select(async id => (string?)JsonNode.Parse(await http.GetStringAsync($"/messages/{id}"))!["status"]));
Console.WriteLine($"sample of {sample.Count}: " + string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} {g.Key}")));
Console.WriteLine($"sendapi peak RSS: {PeakRssMegabytes(sendApi.Id)} MB");
return statuses.All(s => s == "delivered") ? 0 : 1;

// Injects mail over HTTP for killAfter seconds, SIGKILLs SendApi, restarts it, and reports how long
// until every accepted message is delivered, and how much of it waited for Delivery__ClaimLease.
async Task<int> CrashRecoveryAsync()
{
    Console.WriteLine($"SendApi crash recovery: {concurrency} HTTP clients for {killAfter} s, then SIGKILL and a restart; Delivery__ClaimLease default (2m); {Environment.ProcessorCount} cores");
    using var stopInjecting = new CancellationTokenSource();
    var accepted = 0;
    var injection = Task.WhenAll(Enumerable.Range(0, concurrency).Select(async c =>
    {
        for (var i = 0; !stopInjecting.IsCancellationRequested; i++)
        {
            try
            {
                using var response = await http.PostAsJsonAsync("/messages", new
                {
                    from = "Bench <bench@sendapi.test>",
                    to = new[] { $"crash{c}-{i}@bench.test" },
                    subject = "Crash recovery",
                    text = "Hello from the SendApi crash benchmark.",
                });
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref accepted);
                }
            }
            catch (HttpRequestException)
            {
                return;
            }
        }
    }));
    await Task.Delay(TimeSpan.FromSeconds(killAfter));
    sendApi.Kill();
    var sinceKill = Stopwatch.StartNew();
    await stopInjecting.CancelAsync();
    await injection;

    using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2");
    var db = connection.GetDatabase();
    Console.WriteLine($"at the kill:    {accepted} accepted, {await db.SortedSetLengthAsync("sendapi:due")} not delivered yet, {await db.HashLengthAsync("sendapi:claims")} of them claimed");

    await using var restarted = ExternalProcess.Start("dotnet", [app], environment, appDirectory);
    await WaitReadyAsync();
    var ready = sinceKill.Elapsed;
    var marks = new[] { 5, 10, 30, 60 }.Select(s => ready + TimeSpan.FromSeconds(s)).ToList();
    long left;
    while ((left = await db.SortedSetLengthAsync("sendapi:due")) > 0 && sinceKill.Elapsed < TimeSpan.FromMinutes(10))
    {
        while (marks.Count > 0 && sinceKill.Elapsed >= marks[0])
        {
            Console.WriteLine($"restart + {(marks[0] - ready).TotalSeconds,3:0} s: {left} not delivered yet");
            marks.RemoveAt(0);
        }

        await Task.Delay(100);
    }

    Console.WriteLine($"recovered:      every accepted message delivered {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill ({(sinceKill.Elapsed - ready).TotalSeconds:0.0} s after the restart was ready)");
    return left == 0 ? 0 : 1;
}

async Task<List<string>> SendAllAsync(int count, int parallel)
{
    // --body-bytes: lines of 76 characters, as a mail body would be, up to the size asked for.
    const string Short = "Hello from the SendApi benchmark. This is a short transactional message body.";
    var body = bodyBytes <= 0
        ? Short
        : string.Concat(Enumerable.Repeat(new string('x', 76) + "\n", bodyBytes / 77 + 1))[..bodyBytes];
    var result = new string[count];
    var next = -1;
    var call = Interlocked.Increment(ref sendCalls);
    await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            // A 503 (not durable in time, or Redis away) is retried as a client should, with the
            // same Idempotency-Key, and counted; its reason is printed once.
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/messages")
                {
                    Content = JsonContent.Create(templated ? TemplatedSends.Message(i) : new
                    {
                        from = "Bench <bench@sendapi.test>",
                        to = new[] { $"user{i}@bench.test" },
                        subject = $"Benchmark message {i}",
                        text = body,
                    }),
                };
                if (idempotencyKeys)
                {
                    request.Headers.Add("Idempotency-Key", $"bench-{runId}-{call}-{i}");
                }

                using var response = await http.SendAsync(request);
                if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
                {
                    if (Interlocked.Increment(ref unavailable) == 1)
                    {
                        Console.WriteLine($"first 503:      {await response.Content.ReadAsStringAsync()}");
                    }

                    await Task.Delay(200);
                    continue;
                }

                response.EnsureSuccessStatusCode();
                result[i] = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
                break;
            }
        }
    }));
    return [.. result];
}

async Task<List<string>> SubmitOverSmtpAsync(int count, int sessions)
{
    // -N makes every recipient unique; -l sets the body size (--body-bytes, else 300 bytes). The ids come from the store afterwards.
    await using var source = ExternalProcess.Start(ExternalProcess.ResolveExecutable("smtp-source"),
        ["-s", $"{sessions}", "-m", $"{count}", "-l", $"{(bodyBytes > 0 ? bodyBytes : 300)}", "-N", "-f", "bench@sendapi.test", "-t", "user@bench.test", "-M", "source.bench.test", $"127.0.0.1:{submissionPort}"]);
    if (await source.WaitForExitAsync(TimeSpan.FromMinutes(10)) != 0)
    {
        throw new InvalidOperationException("smtp-source failed.\n" + source.Describe());
    }

    using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2");
    var server = connection.GetServer(connection.GetEndPoints()[0]);
    return [.. server.Keys(pattern: "sendapi:msg:*", pageSize: 1000).Select(k => k.ToString()).Where(k => k.Count(c => c == ':') == 2).Select(k => k["sendapi:msg:".Length..])];
}

async Task WaitForEmptyQueueAsync(TimeSpan timeout)
{
    // The delivery queue is empty when every message reached a final state.
    using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2");
    var db = connection.GetDatabase();
    var deadline = DateTime.UtcNow + timeout;
    while (DateTime.UtcNow < deadline)
    {
        if (await db.SortedSetLengthAsync("sendapi:due") == 0)
        {
            return;
        }

        await Task.Delay(50);
    }

    throw new TimeoutException("The delivery queue did not drain.\n" + sendApi.Describe());
}

async Task WaitReadyAsync()
{
    for (var i = 0; i < 300; i++)
    {
        try
        {
            if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }

        await Task.Delay(100);
    }

    throw new TimeoutException("SendApi did not become ready.\n" + sendApi.Describe());
}

static string PeakRssMegabytes(int pid)
{
    var status = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    return status is null ? "?" : (long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).ToString(CultureInfo.InvariantCulture);
}

// The 1, 5 and 15 minute load averages: what else ran beside the bench.
static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

async Task WaitForReplicaAsync()
{
    using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2,allowAdmin=true");
    var server = connection.GetServer(connection.GetEndPoints()[0]);
    for (var i = 0; i < 200; i++)
    {
        if ((await server.InfoRawAsync("replication") ?? "").Contains("state=online", StringComparison.Ordinal))
        {
            return;
        }

        await Task.Delay(50);
    }

    throw new TimeoutException("The replica did not come online.\n" + replica!.Describe());
}

string TextOption(string name, string fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
