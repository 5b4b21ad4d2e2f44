using System.Diagnostics;
using System.Globalization;
using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;

/// <summary>
/// Issue 18's comparison, what <c>bench/run.sh</c> does with no arguments: the same messages through
/// a Postfix relay and through SendApi (over SMTP with <c>smtp-source</c>, and over HTTP from
/// closed-loop clients), every rate counted at the one MX they all deliver to (<see cref="SinkCounter"/>)
/// from the first injection to the last message received; then HTTP at a fixed rate (open loop) for
/// accept latency. Prints one table, and what each SendApi path cost per message, counted.
/// </summary>
internal static class Comparison
{
    /// <summary>What the comparison runs against: everything is started by Program.cs and ended by it.</summary>
    public sealed record Stack(
        HttpClient Http,
        int SubmissionPort,
        ExternalProcess SendApi,
        IServer Redis,
        string AllocationsFile,
        SinkCounter Sink,
        PostfixRelay Postfix,
        Func<TimeSpan, Task> WaitForEmptyQueue,
        bool IdempotencyKeys);

    public sealed record Settings(int Messages, IReadOnlyList<int> Sizes, int SmtpSessions, int HttpClients, int OpenLoopRate, int OpenLoopSeconds, TimeSpan IdleSample, string Durability, int Warmup)
    {
        /// <summary>A file for each open-loop request's send time and latency (ms, CSV), to see when the slow ones came; null: none.</summary>
        public string? OpenLoopLatencies { get; init; }
    }


    private sealed record Phase(double Rate, double? AcceptP50, double? AcceptP99, long? PeakRssMb, CostMeter.Costs? Costs);

    private const string Sender = "bench@sendapi.test";
    private const string Domain = "bench.test";
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(15);

    public static async Task<int> RunAsync(Stack stack, Settings settings)
    {
        Console.WriteLine($"comparison: {settings.Messages} messages per path and size, smtp-source with {settings.SmtpSessions} sessions, {settings.HttpClients} closed-loop HTTP clients, "
            + $"Redis AOF appendfsync {settings.Durability}; every rate counted at the sink from the first injection to the last message received; {Environment.ProcessorCount} cores");
        Console.WriteLine($"load average:   {LoadAverage()} at the start");
        await WarmUpAsync(stack, settings);
        var rows = new List<(int Size, Phase Postfix, Phase Smtp, Phase Http)>();
        foreach (var size in settings.Sizes)
        {
            var postfix = await PostfixAsync(stack, settings, size);
            Console.WriteLine($"{Size(size)} Postfix relay:    {postfix.Rate,7:0} msg/s");
            var smtp = await SendApiSmtpAsync(stack, settings, size);
            Console.WriteLine($"{Size(size)} SendApi via SMTP: {smtp.Rate,7:0} msg/s   {Describe(smtp.Costs!)}");
            var http = await SendApiHttpAsync(stack, settings, size);
            Console.WriteLine($"{Size(size)} SendApi via HTTP: {http.Rate,7:0} msg/s   {Describe(http.Costs!)}; accept p50 {http.AcceptP50:0.0} ms, p99 {http.AcceptP99:0.0} ms");
            rows.Add((size, postfix, smtp, http));
        }

        var openLoop = settings.OpenLoopSeconds > 0 ? await OpenLoopAsync(stack, settings) : null;
        Console.WriteLine($"load average:   {LoadAverage()} at the end");

        Console.WriteLine();
        Console.WriteLine($"| size | Postfix relay | SendApi via SMTP | ratio | SendApi via HTTP | ratio | HTTP accept p50 / p99 ({settings.HttpClients} clients) | SendApi peak RSS |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (size, postfix, smtp, http) in rows)
        {
            Console.WriteLine($"| {Size(size)} | {postfix.Rate:0} msg/s | {smtp.Rate:0} msg/s | {smtp.Rate / postfix.Rate:0.00}× | {http.Rate:0} msg/s | {http.Rate / postfix.Rate:0.00}× "
                + $"| {http.AcceptP50:0.0} / {http.AcceptP99:0.0} ms | {Math.Max(smtp.PeakRssMb ?? 0, http.PeakRssMb ?? 0)} MB |");
        }

        Console.WriteLine();
        Console.WriteLine("| size | path | SendApi CPU per message | allocated per message | Redis commands per message | Redis CPU per message |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (size, _, smtp, http) in rows)
        {
            foreach (var (path, phase) in (ReadOnlySpan<(string, Phase)>)[("SMTP", smtp), ("HTTP", http)])
            {
                var c = phase.Costs!;
                Console.WriteLine($"| {Size(size)} | {path} | {c.SendApiCpuMs * 1000:0} µs | {c.AllocatedKb:0.0} KB | {c.RedisCommands:0.0} | {c.RedisCpuUs:0} µs |");
            }
        }

        if (openLoop is not null)
        {
            Console.WriteLine();
            Console.WriteLine(openLoop);
        }

        return 0;
    }

    /// <summary>
    /// Sends <see cref="Settings.Warmup"/> messages of each size through each path before anything is
    /// timed. A deployed SendApi has run for a while: .NET compiles hot code again, optimized, in
    /// the background during a process's first seconds of load (up to a tenth of this machine's CPU
    /// for about 15 s), and the SMTP and 100 KB paths run code the program's first warm-up (HTTP,
    /// 2 KB) does not. Postfix, which needs none of it, gets the same messages, so the paths stay
    /// comparable (its processes and caches are warm too). <c>--warmup 0</c> measures a cold process.
    /// </summary>
    private static async Task WarmUpAsync(Stack stack, Settings settings)
    {
        if (settings.Warmup <= 0)
        {
            Console.WriteLine("warm-up:        none (--warmup 0): the first path runs in a process that has just started");
            return;
        }

        var clock = Stopwatch.StartNew();
        var warm = settings with { Messages = settings.Warmup };
        foreach (var size in settings.Sizes)
        {
            await PostfixAsync(stack, warm, size);
            await SendApiSmtpAsync(stack, warm, size, counted: false);
            await SendApiHttpAsync(stack, warm, size, counted: false);
        }

        Console.WriteLine($"warm-up:        {settings.Warmup} messages of each size through each path, not counted ({clock.Elapsed.TotalSeconds:0} s)");
    }

    private static async Task<Phase> PostfixAsync(Stack stack, Settings settings, int size)
    {
        var (baseline, started) = (stack.Sink.Count, stack.Sink.Now);
        await SmtpSourceAsync($"127.0.0.1:{stack.Postfix.Port}", settings, size, stack.Postfix.Describe);
        var last = await stack.Sink.WaitForAsync(baseline + settings.Messages, PhaseTimeout, stack.Postfix.Describe);
        return new Phase(settings.Messages / (last - started).TotalSeconds, null, null, null, null);
    }

    private static async Task<Phase> SendApiSmtpAsync(Stack stack, Settings settings, int size, bool counted = true)
    {
        ResetPeakRss(stack.SendApi.Id);
        var cost = await CostMeter.StartAsync(stack.Redis, stack.SendApi.Id, stack.AllocationsFile);
        var (baseline, started) = (stack.Sink.Count, stack.Sink.Now);
        await SmtpSourceAsync($"127.0.0.1:{stack.SubmissionPort}", settings, size, stack.SendApi.Describe);
        var last = await stack.Sink.WaitForAsync(baseline + settings.Messages, PhaseTimeout, stack.SendApi.Describe);
        await stack.WaitForEmptyQueue(PhaseTimeout);
        var peak = PeakRssMegabytes(stack.SendApi.Id);
        var costs = counted ? await cost.MeasureAsync(settings.Messages, stack.Sink.Now - started, settings.IdleSample) : null;
        return new Phase(settings.Messages / (last - started).TotalSeconds, null, null, peak, costs);
    }

    private static async Task<Phase> SendApiHttpAsync(Stack stack, Settings settings, int size, bool counted = true)
    {
        ResetPeakRss(stack.SendApi.Id);
        var cost = await CostMeter.StartAsync(stack.Redis, stack.SendApi.Id, stack.AllocationsFile);
        var (baseline, started) = (stack.Sink.Count, stack.Sink.Now);
        var run = Guid.NewGuid().ToString("N")[..8];
        var latencies = await HttpInjector.ClosedLoopAsync(stack.Http, settings.Messages, settings.HttpClients, TextBody(size), Domain,
            i => stack.IdempotencyKeys ? $"cmp-{run}-{i}" : null);
        var last = await stack.Sink.WaitForAsync(baseline + settings.Messages, PhaseTimeout, stack.SendApi.Describe);
        await stack.WaitForEmptyQueue(PhaseTimeout);
        var peak = PeakRssMegabytes(stack.SendApi.Id);
        var costs = counted ? await cost.MeasureAsync(settings.Messages, stack.Sink.Now - started, settings.IdleSample) : null;
        Array.Sort(latencies);
        return new Phase(settings.Messages / (last - started).TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), peak, costs);
    }

    /// <summary>
    /// HTTP at a fixed rate that does not slow down when the server does: request i is due at
    /// start + i / rate and sent then, whether or not earlier ones were answered, and its latency is
    /// counted from when it was due, so a stall shows in every request that waited behind it
    /// (no coordinated omission).
    /// </summary>
    private static async Task<string> OpenLoopAsync(Stack stack, Settings settings)
    {
        const int Size = 2048;
        var body = TextBody(Size);
        var count = settings.OpenLoopRate * settings.OpenLoopSeconds;
        var latencies = new double[count];
        var failures = 0;
        var baseline = stack.Sink.Count;
        var hookAtStart = CostMeter.Allocations(stack.AllocationsFile);
        var run = Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        var requests = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / settings.OpenLoopRate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var index = i;
            requests.Add(Task.Run(async () =>
            {
                try
                {
                    await HttpInjector.PostAsync(stack.Http, body, 1_000_000 + index, Domain, stack.IdempotencyKeys ? $"open-{run}-{index}" : null);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }

                latencies[index] = (clock.Elapsed - due).TotalMilliseconds;
            }));
        }

        var sent = clock.Elapsed;
        await Task.WhenAll(requests);
        var collections = CollectionsDuring(hookAtStart, CostMeter.Allocations(stack.AllocationsFile), clock.Elapsed);
        await stack.Sink.WaitForAsync(baseline + count, PhaseTimeout, stack.SendApi.Describe);
        await stack.WaitForEmptyQueue(PhaseTimeout);
        if (settings.OpenLoopLatencies is { } file)
        {
            await File.WriteAllLinesAsync(file, ["sent_ms,latency_ms", .. latencies.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{1000.0 * i / settings.OpenLoopRate:0.0},{l:0.00}"))]);
        }

        Array.Sort(latencies);
        return $"open loop: {count} HTTP requests at {settings.OpenLoopRate}/s ({count / sent.TotalSeconds:0}/s achieved), {Size / 1024} KB each, {failures} failed: "
            + $"accept latency p50 {Percentile(latencies, 0.50):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, p99.9 {Percentile(latencies, 0.999):0.0} ms, max {latencies[^1]:0.0} ms"
            + collections;
    }

    /// <summary>
    /// SendApi's garbage collections while the open loop's requests were sent and answered, from the
    /// startup hook: a request that arrives during a pause waits for all of it, so pauses longer than
    /// the latency target, often enough to touch 1 % of requests, set the p99 whatever else is done.
    /// Empty when the hook did not report them (it reports pauses since session 12).
    /// </summary>
    private static string CollectionsDuring(long[] start, long[] end, TimeSpan elapsed)
    {
        if (start.Length < 10 || end.Length < 10)
        {
            return "";
        }

        var count = end[1] - start[1];
        var pausedMs = (end[8] - start[8]) / 1000.0;
        return $"; SendApi GC meanwhile: {count} collections ({end[2] - start[2]} gen1, {end[3] - start[3]} gen2), "
            + $"paused {pausedMs:0} ms in all ({100 * pausedMs / elapsed.TotalMilliseconds:0.0} % of the time), "
            + $"{(count > 0 ? pausedMs / count : 0):0.0} ms per collection, longest pause since start {end[9] / 1000.0:0.0} ms";
    }

    private static async Task SmtpSourceAsync(string target, Settings settings, int size, Func<string> describe)
    {
        // -N makes every recipient unique; -l is the body's size, headers not included. Each message
        // is a session of its own (smtp-source's default), for both the relay and SendApi.
        await using var source = ExternalProcess.Start(ExternalProcess.ResolveExecutable("smtp-source"),
            ["-s", $"{settings.SmtpSessions}", "-m", $"{settings.Messages}", "-l", $"{size}", "-N", "-f", Sender, "-t", "user@bench.test", "-M", "source.bench.test", target]);
        if (await source.WaitForExitAsync(PhaseTimeout) != 0)
        {
            throw new InvalidOperationException($"smtp-source to {target} failed.\n{source.Describe()}\n{describe()}");
        }
    }

    private static string TextBody(int size) => HttpInjector.TextBody(size);

    private static double Percentile(double[] sorted, double p) => HttpInjector.Percentile(sorted, p);

    private static string Size(int bytes) => bytes % 1024 == 0 ? $"{bytes / 1024} KB" : $"{bytes} B";

    private static string Describe(CostMeter.Costs c) =>
        string.Create(CultureInfo.InvariantCulture, $"SendApi CPU {c.SendApiCpuMs * 1000:0} µs/msg, {c.AllocatedKb:0.0} KB allocated/msg, {c.RedisCommands:0.0} Redis commands/msg, Redis CPU {c.RedisCpuUs:0} µs/msg");

    // Writing 5 to clear_refs resets the peak resident set size (VmHWM) to the current one, so each
    // path's peak is its own.
    internal static void ResetPeakRss(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    private static long? PeakRssMegabytes(int pid)
    {
        var status = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return status is null ? null : long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
