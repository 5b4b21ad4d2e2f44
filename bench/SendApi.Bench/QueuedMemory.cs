using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;

/// <summary>
/// Issue 18's memory target, <c>bench/run.sh --queued N</c>: SendApi's resident set with N messages
/// queued. The messages go to a domain whose MX is an address where nothing listens (a refused
/// connection, a temporary failure), so each is accepted, attempted once and deferred to its next
/// retry on <c>Delivery__RetrySchedule</c>; "queued" means exactly that: accepted, attempted, and
/// waiting in the delivery queue for a retry. The run injects them over HTTP (the comparison's
/// closed-loop clients), waits until every one has had its first attempt, lets SendApi sit for a
/// quiet period, then samples its VmRSS (and the managed heap, from the startup hook) while they stay
/// queued and the retries that fall due are made.
/// </summary>
internal static class QueuedMemory
{
    /// <summary>What the run measures: everything is started by Program.cs and ended by it.</summary>
    public sealed record Stack(HttpClient Http, ExternalProcess SendApi, IConnectionMultiplexer Redis, string AllocationsFile, string DownHost, int DownPort);

    public sealed record Settings(int Messages, int HttpClients, int BodyBytes, TimeSpan Quiet, TimeSpan Sample);

    /// <summary>The domain the queued mail goes to (Program.cs's zone: its MX's address has nothing listening).</summary>
    public const string Domain = "queued.bench.test";

    // Every message of the bench's account is indexed under its current status (RedisSearchIndex):
    // "queued" until its first attempt, then "deferred" (or "sending" while an attempt runs).
    private const string StatusIndex = "sendapi:account:admin:search:status:";
    private const string Due = "sendapi:due";
    private static readonly TimeSpan FirstAttemptsTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(Stack stack, Settings settings)
    {
        var db = stack.Redis.GetDatabase();
        Console.WriteLine($"queued memory: {settings.Messages} messages of {settings.BodyBytes} bytes from {settings.HttpClients} closed-loop HTTP clients to {Domain}, "
            + $"whose MX {stack.DownHost}:{stack.DownPort} refuses connections; Redis AOF everysec; {Environment.ProcessorCount} cores");
        Console.WriteLine($"load average:   {LoadAverage()} at the start");
        Console.WriteLine($"MX check:       {await RefusedAsync(stack.DownHost, stack.DownPort)}");
        var liveBefore = await LiveHeapAsync(stack);
        Console.WriteLine($"before:         {Breakdown(stack)} (after the warm-up, before injecting); live managed heap {Mb(liveBefore)} MB (a forced full GC)");

        Comparison.ResetPeakRss(stack.SendApi.Id);
        var clock = Stopwatch.StartNew();
        var latencies = await HttpInjector.ClosedLoopAsync(stack.Http, settings.Messages, settings.HttpClients, HttpInjector.TextBody(settings.BodyBytes), Domain, _ => null);
        var injected = clock.Elapsed;
        var injectionPeak = Rss(stack.SendApi.Id, "VmHWM");
        Array.Sort(latencies);
        Console.WriteLine($"injected:       {settings.Messages / injected.TotalSeconds,8:0} msg/s ({injected.TotalSeconds:0.0} s; accept p50 {HttpInjector.Percentile(latencies, 0.5):0.0} ms, "
            + $"p99 {HttpInjector.Percentile(latencies, 0.99):0.0} ms); peak RSS during injection (VmHWM) {injectionPeak} MB");

        // Every message has had its first attempt when none is left in the "queued" status index.
        while (await db.SortedSetLengthAsync(StatusIndex + "queued") > 0)
        {
            if (clock.Elapsed > FirstAttemptsTimeout)
            {
                throw new TimeoutException($"Messages still wait for their first attempt after {FirstAttemptsTimeout}.\n{stack.SendApi.Describe()}");
            }

            await Task.Delay(200);
        }

        var attempted = clock.Elapsed;
        Console.WriteLine($"first attempts: every message attempted {attempted.TotalSeconds:0.0} s after the first POST ({(attempted - injected).TotalSeconds:0.0} s after the last); "
            + $"peak RSS so far (VmHWM) {Rss(stack.SendApi.Id, "VmHWM")} MB");

        await Task.Delay(settings.Quiet);
        var deferredBefore = await DeferralsAsync(stack.Http);
        Comparison.ResetPeakRss(stack.SendApi.Id);
        var samples = new List<(long Rss, long Anon, long File, long Shmem, long? Heap, long? Committed, long Due)>();
        var sampling = Stopwatch.StartNew();
        while (sampling.Elapsed < settings.Sample)
        {
            var hook = CostMeter.Allocations(stack.AllocationsFile);
            samples.Add((Rss(stack.SendApi.Id, "VmRSS"), Rss(stack.SendApi.Id, "RssAnon"), Rss(stack.SendApi.Id, "RssFile"), Rss(stack.SendApi.Id, "RssShmem"),
                hook.Length >= 7 ? hook[4] : null, hook.Length >= 7 ? hook[6] : null, await db.SortedSetLengthAsync(Due)));
            await Task.Delay(SampleEvery);
        }

        var retries = await DeferralsAsync(stack.Http) - deferredBefore;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var due = await db.SortedSetLengthAsync(Due);
        var waiting = await db.SortedSetLengthAsync(Due, now, double.PositiveInfinity, Exclude.Start);
        var deferred = await db.SortedSetLengthAsync(StatusIndex + "deferred");
        var delivered = await db.SortedSetLengthAsync(StatusIndex + "delivered");
        var redisMemory = (await stack.Redis.GetServer(stack.Redis.GetEndPoints()[0]).InfoAsync("memory")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);

        Console.WriteLine($"quiet period:   {settings.Quiet.TotalSeconds:0} s, then {samples.Count} samples over {settings.Sample.TotalSeconds:0} s, "
            + $"{retries} retry attempt(s) made (deferred again) during them");
        Console.WriteLine($"steady RSS:     {samples.Min(s => s.Rss)}–{samples.Max(s => s.Rss)} MB VmRSS with {settings.Messages} queued "
            + $"(anonymous {samples.Min(s => s.Anon)}–{samples.Max(s => s.Anon)} MB, file-backed {samples.Min(s => s.File)}–{samples.Max(s => s.File)} MB, shared {samples.Min(s => s.Shmem)}–{samples.Max(s => s.Shmem)} MB; "
            + $"VmHWM over the samples {Rss(stack.SendApi.Id, "VmHWM")} MB)");
        Console.WriteLine(samples.All(s => s.Heap is not null)
            ? $"managed heap:   {Mb(samples.Min(s => s.Heap!.Value))}–{Mb(samples.Max(s => s.Heap!.Value))} MB after the last GC, GC committed {Mb(samples.Min(s => s.Committed!.Value))}–{Mb(samples.Max(s => s.Committed!.Value))} MB"
            : "managed heap:   ? (the startup hook did not report it)");
        Console.WriteLine($"redis:          used_memory {Mb(long.Parse(redisMemory["used_memory"], CultureInfo.InvariantCulture))} MB, "
            + $"used_memory_rss {Mb(long.Parse(redisMemory["used_memory_rss"], CultureInfo.InvariantCulture))} MB");
        Console.WriteLine($"delivery queue: {due} in {Due} ({samples.Min(s => s.Due)}–{samples.Max(s => s.Due)} during the samples), {waiting} of them due later (waiting for a retry); "
            + $"status deferred {deferred}, delivered {delivered} (the warm-up's)");
        var liveAfter = await LiveHeapAsync(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Console.WriteLine($"live heap:      {Mb(liveAfter)} MB after a forced full compacting GC with {settings.Messages} queued, {Mb(liveBefore)} MB before injecting: "
            + $"{(liveAfter - liveBefore) / (double)settings.Messages:0} bytes per queued message; 2 s later {Breakdown(stack)}");
        Console.WriteLine($"load average:   {LoadAverage()} at the end");
        return samples.All(s => s.Due >= settings.Messages) ? 0 : 1;
    }

    /// <summary>
    /// The managed heap's size after a full compacting collection the startup hook makes when asked
    /// (a file beside its report): what SendApi keeps alive, without the garbage a collection has yet to find.
    /// </summary>
    private static async Task<long> LiveHeapAsync(Stack stack)
    {
        var collections = CostMeter.Allocations(stack.AllocationsFile) is { Length: >= 8 } before ? before[3] : -1;
        if (collections < 0)
        {
            return 0;
        }

        await File.WriteAllTextAsync(stack.AllocationsFile + ".collect", "");
        for (var i = 0; i < 200; i++)
        {
            await Task.Delay(100);
            if (CostMeter.Allocations(stack.AllocationsFile) is { Length: >= 8 } now && now[3] > collections && !File.Exists(stack.AllocationsFile + ".collect"))
            {
                return now[7];
            }
        }

        throw new TimeoutException("The startup hook did not make the full collection asked for.");
    }

    /// <summary>Proves the MX address refuses: a connection there must fail at once, not reach anything.</summary>
    private static async Task<string> RefusedAsync(string host, int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return $"{host}:{port} refuses connections (what every attempt meets: a temporary failure)";
        }

        throw new InvalidOperationException($"Something listens on {host}:{port}, where the queued mail's MX must refuse connections.");
    }

    // The account's deferral events so far (GET /stats: the last 24 hours), each retry that failed again adds one.
    private static async Task<long> DeferralsAsync(HttpClient http) =>
        (long)JsonNode.Parse(await http.GetStringAsync("/stats?interval=hour"))!["totals"]!["deferred"]!;

    // What the resident set is made of now: anonymous memory (the GC's heap, native allocations, stacks),
    // file-backed pages (the runtime's and the assemblies' images) and shared memory (the runtime maps
    // the code it generates twice, writable and executable, through shared memory: W^X), and the
    // managed heap after the last collection, from the startup hook.
    private static string Breakdown(Stack stack)
    {
        var pid = stack.SendApi.Id;
        var hook = CostMeter.Allocations(stack.AllocationsFile);
        return $"VmRSS {Rss(pid, "VmRSS")} MB (anonymous {Rss(pid, "RssAnon")}, file-backed {Rss(pid, "RssFile")}, shared {Rss(pid, "RssShmem")}); "
            + (hook.Length >= 7 ? $"managed heap {Mb(hook[4])} MB after the last GC, GC committed {Mb(hook[6])} MB" : "managed heap ?");
    }

    /// <summary>A /proc/&lt;pid&gt;/status line's value (kB) in MB: VmRSS, VmHWM, RssAnon, RssFile, RssShmem.</summary>
    private static long Rss(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private static long Mb(long bytes) => bytes / (1024 * 1024);

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
