using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Compat;

/// <summary>
/// One of tests/compat-sdks' scripts: a provider's official SDK (installed unmodified from that
/// directory's lockfile by tests/run.sh) sending to SendApi. The script prints one JSON line with
/// each case's result as the SDK returned it.
/// </summary>
internal static class SdkScript
{
    private static readonly string Directory = Path.Combine(Repository.Root, "tests", "compat-sdks");

    public static async Task<JsonNode> RunAsync(string script, string package, IReadOnlyDictionary<string, string?> environment)
    {
        if (!File.Exists(Path.Combine(Directory, "node_modules", package, "package.json")))
        {
            throw new InvalidOperationException($"The npm package '{package}' is not installed in {Directory}; run tests/run.sh (or 'npm ci' there).");
        }

        // Loopback only: no proxy a developer's shell may name may see these requests.
        var env = new Dictionary<string, string?>(environment)
        {
            ["HTTP_PROXY"] = null, ["HTTPS_PROXY"] = null, ["http_proxy"] = null, ["https_proxy"] = null, ["ALL_PROXY"] = null, ["all_proxy"] = null,
        };
        await using var node = ExternalProcess.Start(ExternalProcess.ResolveExecutable("node"), [script], env, Directory);
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var json = node.Output.Split('\n').LastOrDefault(line => line.StartsWith('{'));
        if (exitCode != 0 || json is null)
        {
            throw new InvalidOperationException($"{script} failed (exit {exitCode}).\n{node.Describe()}");
        }

        return JsonNode.Parse(json)!;
    }
}
