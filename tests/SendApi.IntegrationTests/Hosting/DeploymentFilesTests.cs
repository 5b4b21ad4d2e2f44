using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SendApi.Hosting;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Hosting;

/// <summary>
/// The deployment files in infra/. docker-compose.yml is checked as far as a machine without a Docker daemon allows: Debian's
/// compose client (1.29) validates and resolves it, and every SendApi variable it sets — the
/// commented examples too — must be a setting the application knows, so none is silently ignored.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string ComposeFile = Path.Combine(Repository.Root, "infra", "docker-compose.yml");
    private static readonly string[] SendApiServices = ["sendapi-1", "sendapi-2"];

    [Fact]
    public async Task The_compose_file_is_valid_and_names_the_variables_it_needs()
    {
        var (exit, output) = await ConfigAsync(new() { ["ADMIN_API_KEY"] = "x", ["SENDAPI_HOSTNAME"] = "mail.example.com" });
        Assert.True(exit == 0, output);

        var (withoutKey, refusal) = await ConfigAsync(new() { ["SENDAPI_HOSTNAME"] = "mail.example.com" });
        Assert.NotEqual(0, withoutKey);
        Assert.Contains("set ADMIN_API_KEY", refusal);
    }

    [Fact]
    public async Task Every_SendApi_variable_in_the_compose_file_is_a_setting_the_application_knows()
    {
        var services = await ResolvedServicesAsync();
        var settings = new Dictionary<string, string?>();
        foreach (var name in SendApiServices)
        {
            foreach (var (key, value) in services[name]!["environment"]!.AsObject())
            {
                settings[key] = (string?)value;
            }
        }

        // The commented examples are settings a reader will uncomment: they must be right too.
        var examples = CommentedSetting().Matches(await File.ReadAllTextAsync(ComposeFile)).Select(m => (m.Groups["key"].Value, m.Groups["value"].Value)).ToList();
        Assert.Contains(examples, e => e.Item1 == "Inbound__Domains__0");
        Assert.Contains(examples, e => e.Item1 == "Delivery__ReturnPathDomain");
        foreach (var (key, value) in examples)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => s.Value))
            .Build();
        Assert.Empty(SettingsCheck.Problems(configuration));
        foreach (var key in settings.Keys)
        {
            var section = key.Split("__")[0];
            Assert.True(section == "ConnectionStrings" || SettingsCheck.Sections.ContainsKey(section), $"{key} is not under a section SendApi reads.");
        }
    }

    [Fact]
    public async Task The_instances_are_health_checked_by_the_application_itself_and_wait_for_a_healthy_Redis()
    {
        var services = await ResolvedServicesAsync();
        foreach (var name in SendApiServices)
        {
            var service = services[name]!;
            Assert.Equal(["CMD", "dotnet", "SendApi.dll", HealthProbe.Switch], service["healthcheck"]!["test"]!.AsArray().Select(t => (string?)t));
            Assert.Equal("service_healthy", (string?)service["depends_on"]!["redis"]!["condition"]);
            Assert.DoesNotContain(service["ports"]?.AsArray() ?? [], p => (int?)p!["target"] == 8080);
        }

        Assert.Equal("service_healthy", (string?)services["proxy"]!["depends_on"]!["sendapi-1"]!["condition"]);
    }

    [Fact]
    public async Task Every_variable_in_the_systemd_environment_example_is_a_setting_the_application_knows()
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(Repository.Root, "infra", "sendapi.env.example"));
        var settings = lines
            .Select(l => l.TrimStart('#').Trim())
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.Contains(' ', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => (string?)p[1]);
        Assert.Contains("Delivery__HeloName", settings.Keys);

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Where(s => !s.Key.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => s.Value))
            .Build();
        Assert.Empty(SettingsCheck.Problems(configuration));
        Assert.All(settings.Keys, key => Assert.True(
            key.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || key.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || SettingsCheck.Sections.ContainsKey(key.Split("__")[0]),
            $"{key} is not a setting SendApi reads."));
    }

    [GeneratedRegex("""^\s*#\s*(?<key>[A-Za-z]+__[A-Za-z0-9_]+):\s*"(?<value>[^"]*)"\s*(#.*)?$""", RegexOptions.Multiline)]
    private static partial Regex CommentedSetting();

    private static async Task<JsonObject> ResolvedServicesAsync()
    {
        var (exit, yaml) = await ConfigAsync(new() { ["ADMIN_API_KEY"] = "x", ["SENDAPI_HOSTNAME"] = "mail.example.com" });
        Assert.True(exit == 0, yaml);
        var json = Path.GetTempFileName();
        try
        {
            // Standard output only (ExternalProcess marks standard error lines "! ").
            await File.WriteAllLinesAsync(json + ".yml", yaml.Split('\n').Where(l => !l.StartsWith("! ", StringComparison.Ordinal)));
            await using var convert = ExternalProcess.Start("/usr/bin/python3", ["-I", "-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], 'w'))", json + ".yml", json]);
            Assert.Equal(0, await convert.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            return JsonNode.Parse(await File.ReadAllTextAsync(json))!["services"]!.AsObject();
        }
        finally
        {
            File.Delete(json);
            File.Delete(json + ".yml");
        }
    }

    /// <summary>
    /// <c>docker-compose config</c>, which resolves the variables and merges the shared block into each
    /// service. Debian's client predates the top-level <c>name</c> (newer clients read it), so its copy
    /// goes without that one line.
    /// </summary>
    private static async Task<(int Exit, string Output)> ConfigAsync(Dictionary<string, string?> variables)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"compose-{Guid.NewGuid():N}.yml");
        await File.WriteAllLinesAsync(copy, (await File.ReadAllLinesAsync(ComposeFile)).Where(l => !l.StartsWith("name:", StringComparison.Ordinal)));
        try
        {
            variables["ADMIN_API_KEY"] = variables.GetValueOrDefault("ADMIN_API_KEY");
            await using var compose = ExternalProcess.Start(
                ExternalProcess.ResolveExecutable("docker-compose"),
                ["-f", copy, "--project-directory", Path.Combine(Repository.Root, "infra"), "config"],
                variables,
                Path.Combine(Repository.Root, "infra"));
            var exit = await compose.WaitForExitAsync(TimeSpan.FromSeconds(60));
            return (exit, compose.Output);
        }
        finally
        {
            File.Delete(copy);
        }
    }
}
