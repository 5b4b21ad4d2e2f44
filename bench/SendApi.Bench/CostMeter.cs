using System.Globalization;
using StackExchange.Redis;

/// <summary>
/// What the measured messages cost, counted rather than timed, so that two builds compare on a
/// loaded machine: Redis commands per message (from <c>INFO commandstats</c>, which counts the
/// commands a script runs as well as the script call), the time Redis spent in them, Redis's CPU
/// time and SendApi's CPU time (user + system, all threads, from /proc). Wall-clock rates move
/// ±10 % with whatever else runs here; these move by a few per cent at most.
/// The bench's own polling of the queue (one ZCARD per 50 ms, under 0.1 per message) is in the
/// counts; SendApi's timers (heartbeats, Hangfire's polls) are taken off at their idle rate.
/// </summary>
internal sealed class CostMeter
{
    private static readonly TimeSpan IdleSample = TimeSpan.FromSeconds(5);

    private readonly IServer _redis;
    private readonly int _sendApiPid;
    private readonly double _redisCpuAtStart;
    private readonly double _sendApiCpuAtStart;
    private readonly string _allocationsFile;
    private readonly long[] _allocationsAtStart;
    private readonly double _benchCpuAtStart = ProcessCpuSeconds(Environment.ProcessId);

    private CostMeter(IServer redis, int sendApiPid, double redisCpuAtStart, double sendApiCpuAtStart, string allocationsFile)
    {
        _allocationsFile = allocationsFile;
        _allocationsAtStart = Allocations(allocationsFile);
        _redis = redis;
        _sendApiPid = sendApiPid;
        _redisCpuAtStart = redisCpuAtStart;
        _sendApiCpuAtStart = sendApiCpuAtStart;
    }

    /// <summary>Resets Redis's command statistics and notes both processes' CPU time so far.</summary>
    public static async Task<CostMeter> StartAsync(IServer redis, int sendApiPid, string allocationsFile)
    {
        await redis.ConfigResetStatisticsAsync();
        return new CostMeter(redis, sendApiPid, await RedisCpuSecondsAsync(redis), ProcessCpuSeconds(sendApiPid), allocationsFile);
    }

    /// <summary>
    /// Prints the cost per message since <see cref="StartAsync"/>, and the commands behind it. The
    /// commands that run whether or not there is mail (heartbeats, polls, Hangfire) are counted
    /// for a few idle seconds afterwards and taken off at that rate for the <paramref name="elapsed"/>
    /// time of the run, so that a run slowed down by a busy machine does not look costlier per message.
    /// </summary>
    public async Task ReportAsync(int messages, TimeSpan elapsed)
    {
        var (costs, commands, idleRate, scriptCalls, scriptUsec, benchCpu) = await CountAsync(messages, elapsed, IdleSample);
        double PerMessage(double value) => value / messages;

        Console.WriteLine($"redis commands: {costs.RedisCommands,8:0.0} per message, scripts' commands included ({PerMessage(scriptCalls):0.00} script calls); "
            + $"{idleRate:0} per second while idle taken off");
        // A script's time includes its commands' time, which commandstats also counts under their names.
        Console.WriteLine($"redis CPU:      {costs.RedisCpuUs,8:0.0} µs per message (user + system), {PerMessage(scriptUsec):0.0} µs of it running scripts");
        Console.WriteLine($"sendapi CPU:    {costs.SendApiCpuMs,8:0.000} ms per message (user + system, all threads)");
        Console.WriteLine(costs.Collections is { } gc
            ? $"sendapi memory: {costs.AllocatedKb,8:0.0} KB allocated per message; {gc}"
            : "sendapi memory: ? (the allocation hook did not report)");
        Console.WriteLine($"bench CPU:      {PerMessage(benchCpu * 1e3),8:0.000} ms per message (this program: the HTTP clients and this report; it shares the cores too)");
        Console.WriteLine("redis commands per message (calls, µs; a script's µs include its commands'), most first:");
        foreach (var command in commands.Where(c => c.Calls * 200 >= messages).OrderByDescending(c => c.Calls))
        {
            Console.WriteLine($"  {command.Name,-22} {PerMessage(command.Calls),7:0.00} {PerMessage(command.Usec),8:0.00}");
        }
    }

    /// <summary>What a message cost since <see cref="StartAsync"/>, counted: the comparison's per-path line.</summary>
    public sealed record Costs(double SendApiCpuMs, double AllocatedKb, double RedisCommands, double RedisCpuUs, string? Collections);

    /// <summary>As <see cref="ReportAsync"/>, without printing, with an idle sample of <paramref name="idleSample"/>.</summary>
    public async Task<Costs> MeasureAsync(int messages, TimeSpan elapsed, TimeSpan idleSample) =>
        (await CountAsync(messages, elapsed, idleSample)).Costs;

    private async Task<(Costs Costs, List<CommandStat> Commands, double IdleRate, long ScriptCalls, long ScriptUsec, double BenchCpu)> CountAsync(
        int messages, TimeSpan elapsed, TimeSpan idleSample)
    {
        var sendApiCpu = ProcessCpuSeconds(_sendApiPid) - _sendApiCpuAtStart;
        var redisCpu = await RedisCpuSecondsAsync(_redis) - _redisCpuAtStart;
        var benchCpu = ProcessCpuSeconds(Environment.ProcessId) - _benchCpuAtStart;
        var allocations = Allocations(_allocationsFile).Zip(_allocationsAtStart, (end, start) => end - start).ToArray();
        var atEnd = await CommandStatsAsync(_redis);
        await Task.Delay(idleSample);
        var idle = (await CommandStatsAsync(_redis)).ToDictionary(c => c.Name, c => c.Calls);
        var idleRates = atEnd.ToDictionary(c => c.Name, c => (idle.GetValueOrDefault(c.Name, c.Calls) - c.Calls) / idleSample.TotalSeconds);
        var commands = atEnd.Select(c => c with { Calls = Math.Max(0, c.Calls - (long)Math.Round(idleRates[c.Name] * elapsed.TotalSeconds)) }).ToList();
        var scripts = commands.Where(c => c.Name is "evalsha" or "eval").ToList();
        var costs = new Costs(
            sendApiCpu * 1e3 / messages,
            allocations.Length >= 4 ? allocations[0] / 1024.0 / messages : double.NaN,
            commands.Sum(c => c.Calls) / (double)messages,
            redisCpu * 1e6 / messages,
            allocations.Length >= 4 ? $"{allocations[1]} gen0, {allocations[2]} gen1, {allocations[3]} gen2 collections" : null);
        return (costs, commands, idleRates.Values.Sum(), scripts.Sum(c => c.Calls), scripts.Sum(c => c.Usec), benchCpu);
    }

    private sealed record CommandStat(string Name, long Calls, long Usec);

    // cmdstat_evalsha:calls=60000,usec=2300000,usec_per_call=38.33,rejected_calls=0,failed_calls=0
    private static async Task<List<CommandStat>> CommandStatsAsync(IServer redis)
    {
        var info = await redis.InfoAsync("commandstats");
        return [.. info.SelectMany(g => g)
            .Where(p => p.Key.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Where(p => p.Key is not "cmdstat_config|resetstat" and not "cmdstat_info")
            .Select(p =>
            {
                var values = p.Value.Split(',').Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v[1]);
                return new CommandStat(p.Key["cmdstat_".Length..], long.Parse(values["calls"], CultureInfo.InvariantCulture), long.Parse(values["usec"], CultureInfo.InvariantCulture));
            })];
    }

    private static async Task<double> RedisCpuSecondsAsync(IServer redis)
    {
        var cpu = (await redis.InfoAsync("cpu")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture);
    }

    // The startup hook's last line: bytes allocated, then gen0, gen1 and gen2 collection counts, then the
    // heap's size, fragmentation and committed bytes at the last collection (empty when it never wrote).
    internal static long[] Allocations(string file)
    {
        try
        {
            return [.. File.ReadAllText(file).Split(' ').Select(v => long.Parse(v, CultureInfo.InvariantCulture))];
        }
        catch (IOException)
        {
            return [];
        }
    }

    // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux),
    // counted over all the process's threads. The command name (field 2) may hold spaces: count after ')'.
    private static double ProcessCpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const int UserHz = 100;
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)UserHz;
    }
}
