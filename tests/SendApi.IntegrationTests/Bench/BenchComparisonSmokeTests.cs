using System.Globalization;
using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Bench;

/// <summary>
/// A tiny run of <c>bench/run.sh</c>'s comparison (the bench program it runs, built with the tests),
/// so that the one-command performance comparison cannot rot: 200 messages of 2 KB through Postfix,
/// SendApi over SMTP and SendApi over HTTP, and a short open-loop run; and of its queued-memory run
/// (<c>--queued</c>, 200 messages, about 10 s). Asserts only that every row is
/// there with non-zero numbers: rates and sizes on a shared machine are not for tests. It runs alone, after
/// the parallel classes: its Postfix, Redis, SendApi and load generators take both cores for 20 s,
/// which would stretch the timed tests beside it.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class BenchComparisonSmokeTests
{
    // A generous bound for a loaded machine; the run takes about 25 s on a quiet one.
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_comparison_prints_a_row_for_postfix_smtp_and_http_counted_at_the_sink()
    {
        var (bench, app) = BuiltPrograms();
        var latencies = Path.Combine(Path.GetTempPath(), $"sendapi-bench-latencies-{Guid.NewGuid():N}.csv");
        await using var run = ExternalProcess.Start("dotnet",
            [bench, "--app", app, "--messages", "200", "--warmup", "50", "--sizes", "2048", "--open-loop-rate", "100", "--open-loop-seconds", "2", "--idle-sample-seconds", "1",
                "--open-loop-latencies", latencies]);

        var exitCode = await run.WaitForExitAsync(RunTimeout);

        var output = run.Output;
        Assert.True(exitCode == 0, $"The bench exited with {exitCode}.\n{output}");
        Assert.Matches(@"warm-up: +50 messages of each size through each path, not counted \([0-9]+ s\)", output);
        // | 2 KB | 118 msg/s | 150 msg/s | 1.27× | 283 msg/s | 2.40× | 59.1 / 235.8 ms | 195 MB |
        var row = Regex.Match(output, @"^\| 2 KB \| (?<postfix>[0-9]+) msg/s \| (?<smtp>[0-9]+) msg/s \| [0-9.]+× \| (?<http>[0-9]+) msg/s \| [0-9.]+× \| (?<p50>[0-9.]+) / (?<p99>[0-9.]+) ms \| (?<rss>[0-9]+) MB \|\r?$",
            RegexOptions.Multiline | RegexOptions.NonBacktracking, TimeSpan.FromSeconds(5));
        Assert.True(row.Success, $"No comparison row for 2 KB in:\n{output}");
        foreach (var column in (string[])["postfix", "smtp", "http", "p50", "p99", "rss"])
        {
            Assert.True(double.Parse(row.Groups[column].Value, CultureInfo.InvariantCulture) > 0, $"{column} is zero in: {row.Value}");
        }

        foreach (var path in (string[])["SMTP", "HTTP"])
        {
            var costs = Regex.Match(output, $@"^\| 2 KB \| {path} \| (?<cpu>[0-9]+) µs \| (?<allocated>[0-9.]+) KB \| (?<commands>[0-9.]+) \| [0-9]+ µs \|\r?$",
                RegexOptions.Multiline | RegexOptions.NonBacktracking, TimeSpan.FromSeconds(5));
            Assert.True(costs.Success, $"No counted costs for {path} in:\n{output}");
            Assert.True(double.Parse(costs.Groups["allocated"].Value, CultureInfo.InvariantCulture) > 0, costs.Value);
            Assert.True(double.Parse(costs.Groups["commands"].Value, CultureInfo.InvariantCulture) > 0, costs.Value);
        }

        Assert.Matches(@"open loop: 200 HTTP requests at 100/s \([0-9]+/s achieved\), 2 KB each, 0 failed: accept latency p50 [0-9.]+ ms, p99 [0-9.]+ ms, p99\.9 [0-9.]+ ms", output);
        // The pauses the open loop's requests waited behind, which bound its p99.
        Assert.Matches(@"; SendApi GC meanwhile: [0-9]+ collections \([0-9]+ gen1, [0-9]+ gen2\), paused [0-9]+ ms in all \([0-9.]+ % of the time\), [0-9.]+ ms per collection, longest pause since start [0-9.]+ ms", output);
        // Each open-loop request's send time and latency, in order, to see when the slow ones came.
        var lines = await File.ReadAllLinesAsync(latencies);
        File.Delete(latencies);
        Assert.Equal("sent_ms,latency_ms", lines[0]);
        Assert.Equal(201, lines.Length);
        Assert.Equal("0.0", lines[1].Split(',')[0]);
        Assert.Equal("1990.0", lines[^1].Split(',')[0]);
        Assert.All(lines.Skip(1), line => Assert.True(double.Parse(line.Split(',')[1], CultureInfo.InvariantCulture) > 0, line));
    }

    [Fact]
    public async Task The_queued_run_prints_sendapis_rss_with_every_message_waiting_for_a_retry()
    {
        var (bench, app) = BuiltPrograms();
        await using var run = ExternalProcess.Start("dotnet",
            [bench, "--app", app, "--queued", "200", "--quiet-seconds", "1", "--sample-seconds", "2"]);

        var exitCode = await run.WaitForExitAsync(RunTimeout);

        var output = run.Output;
        Assert.True(exitCode == 0, $"The bench exited with {exitCode}.\n{output}");
        // steady RSS:     198–201 MB VmRSS with 200 queued (anonymous 71–73 MB, …
        var rss = Regex.Match(output, @"^steady RSS: +(?<min>[0-9]+)–(?<max>[0-9]+) MB VmRSS with 200 queued ",
            RegexOptions.Multiline | RegexOptions.NonBacktracking, TimeSpan.FromSeconds(5));
        Assert.True(rss.Success, $"No steady RSS line in:\n{output}");
        Assert.True(int.Parse(rss.Groups["min"].Value, CultureInfo.InvariantCulture) > 0, rss.Value);
        Assert.Matches(@"managed heap: +[0-9]+–[0-9]+ MB after the last GC", output);
        Assert.Matches(@"delivery queue: 200 in sendapi:due \(200–200 during the samples\), 200 of them due later \(waiting for a retry\)", output);
    }

    /// <summary>The bench program and SendApi as this test project's build made them (same configuration).</summary>
    private static (string Bench, string App) BuiltPrograms()
    {
        // tests/SendApi.IntegrationTests/bin/<Configuration>/net10.0/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        var root = output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var bench = Path.Combine(root, "bench", "SendApi.Bench", "bin", configuration, framework, "SendApi.Bench.dll");
        var app = Path.Combine(root, "src", "SendApi", "bin", configuration, framework, "SendApi.dll");
        Assert.True(File.Exists(bench), $"{bench} was not built (the test project references the bench project).");
        Assert.True(File.Exists(app), $"{app} was not built.");
        return (bench, app);
    }
}
