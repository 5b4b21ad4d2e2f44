using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Hosting;

/// <summary>
/// The README's first command and its "Try it on your machine" commands, run verbatim as a
/// newcomer would: <c>dotnet run --project src/SendApi</c> without the right to bind ports below
/// 1024, then the curl and swaks commands against it, then the captured mail they produced.
/// The Development profile's ports are fixed (8080, 2587, 2465, 2525), so this is the only test
/// that starts it.
/// </summary>
public sealed partial class FirstRunTests
{
    private static readonly int[] DevelopmentPorts = [8080, 2587, 2465, 2525];

    [GeneratedRegex(@"generated an admin key for this run: (?<key>sk_[A-Za-z0-9_-]+)")]
    private static partial Regex GeneratedKey();

    [GeneratedRegex(@"```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [Fact]
    public async Task The_readme_run_command_works_without_root_and_its_try_it_commands_end_up_captured()
    {
        var readme = (await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"))).ReplaceLineEndings("\n");
        var runCommand = Block(readme, "## Set up", 0).Trim();
        Assert.Equal("dotnet run --project src/SendApi", runCommand);
        var tryIt = Block(readme, "## Try it on your machine", 0);

        // A clean environment: nothing the newcomer would not have set.
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || name.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal)
                || name.Contains("__", StringComparison.Ordinal))
            .ToDictionary(name => name, _ => (string?)null);
        string[] command = Environment.UserName == "root"
            ? ["setpriv", "--bounding-set=-net_bind_service", "--", "bash", "-c", runCommand]
            : ["bash", "-c", runCommand];
        await using var app = ExternalProcess.Start(command[0], command[1..], environment, Repository.Root);

        // The first run builds the project (Debug), which takes a while on a busy machine.
        await app.WaitForOutputLineAsync(line => line.Contains("SendApi is ready:", StringComparison.Ordinal), TimeSpan.FromMinutes(5), "the start-up summary");
        var key = GeneratedKey().Match(app.Output).Groups["key"].Value;
        Assert.False(string.IsNullOrEmpty(key), app.Describe());
        Assert.Contains("capture: no mail leaves this instance", app.Output, StringComparison.Ordinal);

        // The launch profile's URL is bound by the application, not handed to Kestrel twice.
        Assert.DoesNotContain("Overriding address", app.Output, StringComparison.Ordinal);

        // Every listener of the Development profile is on loopback only.
        var listening = ListeningSockets();
        foreach (var port in DevelopmentPorts)
        {
            var bound = listening.Where(s => s.Port == port).ToList();
            Assert.True(bound.Count > 0, $"nothing listens on port {port}:\n{app.Describe()}");
            Assert.All(bound, s => Assert.True(s.Loopback, $"port {port} is bound to {s.Address}, not loopback"));
        }

        // The README's commands, with its placeholder key replaced by the one this start printed.
        var script = Regex.Replace(tryIt, @"^KEY=.*$", $"KEY='{key}'", RegexOptions.Multiline);
        await using var shell = ExternalProcess.Start("bash", ["-e", "-c", script], workingDirectory: Repository.Root);
        Assert.True(await shell.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, shell.Describe());
        Assert.Contains("\"status\":\"queued\"", shell.Output, StringComparison.Ordinal);
        Assert.Contains("250 2.0.0 Ok: queued as", shell.Output, StringComparison.Ordinal);
        var httpId = Regex.Match(shell.Output, "\"id\":\"(?<id>[0-9a-f]+)\"").Groups["id"].Value;

        using var http = new HttpClient { BaseAddress = new Uri("http://localhost:8080") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var subjects = new List<string>();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && subjects.Count < 2; await Task.Delay(200))
        {
            using var captured = JsonDocument.Parse(await http.GetStringAsync("/captured"));
            subjects = [.. captured.RootElement.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("subject").GetString()!)];
        }

        Assert.Contains("Hello over HTTP", subjects);
        Assert.Contains("Hello over SMTP", subjects);
        var message = await http.GetStringAsync($"/messages/{httpId}");
        Assert.Contains("\"status\":\"delivered\"", message, StringComparison.Ordinal);
        Assert.Contains("Ok: captured as cap_", message, StringComparison.Ordinal);
    }

    /// <summary>The <paramref name="index"/>th ```sh block after <paramref name="heading"/>.</summary>
    private static string Block(string readme, string heading, int index)
    {
        var at = readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(at >= 0, $"README has no '{heading}'");
        return ShellBlock().Matches(readme, at)[index].Groups["body"].Value;
    }

    private sealed record Listening(string Address, int Port, bool Loopback);

    /// <summary>Listening TCP sockets from /proc (no traffic): local address, port, whether it is loopback.</summary>
    private static List<Listening> ListeningSockets()
    {
        var sockets = new List<Listening>();
        foreach (var (file, v6) in new[] { ("/proc/net/tcp", false), ("/proc/net/tcp6", true) })
        {
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != "0A")
                {
                    continue; // not LISTEN
                }

                var local = fields[1].Split(':');
                var address = local[0];
                var port = int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var loopback = v6
                    ? address is "00000000000000000000000001000000"
                        || (address.StartsWith("0000000000000000FFFF0000", StringComparison.Ordinal) && address.EndsWith("7F", StringComparison.Ordinal))
                    : address.EndsWith("7F", StringComparison.Ordinal);
                sockets.Add(new Listening(address, port, loopback));
            }
        }

        return sockets;
    }
}
