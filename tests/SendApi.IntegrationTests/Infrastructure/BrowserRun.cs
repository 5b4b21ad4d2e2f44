using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A node script of tests/browser that drives Debian's chromium through puppeteer-core (installed
/// from that directory's lockfile by tests/run.sh; it never downloads a browser). The script prints
/// one JSON line of what it saw and exits 0 when its checks hold.
/// </summary>
public sealed record BrowserRun(int ExitCode, JsonNode? Seen, string Output)
{
    private static readonly string Directory = Path.Combine(Repository.Root, "tests", "browser");

    public static async Task<BrowserRun> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        if (!File.Exists(Path.Combine(Directory, "node_modules", "puppeteer-core", "package.json")))
        {
            throw new InvalidOperationException($"puppeteer-core is not installed in {Directory}; run tests/run.sh (or 'npm ci' there).");
        }

        await using var node = ExternalProcess.Start(ExternalProcess.ResolveExecutable("node"), [script, .. arguments], workingDirectory: Directory);
        var exitCode = await node.WaitForExitAsync(timeout);
        var output = node.Output;
        var json = output.Split('\n').LastOrDefault(line => line.StartsWith('{'));
        return new BrowserRun(exitCode, json is null ? null : JsonNode.Parse(json), $"{node.CommandLine}\n{output}");
    }
}
