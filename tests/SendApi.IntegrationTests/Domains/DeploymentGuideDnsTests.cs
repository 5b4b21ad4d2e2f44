using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Domains;

/// <summary>
/// An operator who publishes the DNS table of docs/deployment.md, as written, gets a verified
/// domain: every TXT and MX row goes into dnsmasq (each name moved under <c>.test</c>, the only TLD
/// the test DNS serves), the application runs with the settings the guide names, and
/// <c>POST /domains/{name}/verify</c> must find every record right.
/// </summary>
[Collection(DomainsCollection.Name)]
public sealed partial class DeploymentGuideDnsTests : IAsyncLifetime
{
    private const string Test = ".test";

    private readonly int _dnsPort = FreePort.TcpAndUdp();
    private SendApiApp? _app;
    private DnsServer? _dns;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_dns is not null)
        {
            await _dns.DisposeAsync();
        }
    }

    private sealed record Row(string Record, string Name, string Value);

    /// <summary>The rows of the table under "## DNS records", backticks removed.</summary>
    private static List<Row> GuideTable()
    {
        var guide = File.ReadAllText(Path.Combine(Repository.Root, "docs", "deployment.md"));
        var section = guide[guide.IndexOf("## DNS records", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        return [.. section.Split('\n')
            .Where(line => line.StartsWith("| ", StringComparison.Ordinal) && !line.StartsWith("| record ", StringComparison.Ordinal))
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .Select(cells => new Row(cells[1], cells[2].Replace("`", "", StringComparison.Ordinal), cells[3].Replace("`", "", StringComparison.Ordinal)))];
    }

    [Fact]
    public async Task Publishing_the_deployment_guides_dns_table_verifies_the_domain()
    {
        var table = GuideTable();
        var helo = table.Single(r => r.Record.StartsWith("A ", StringComparison.Ordinal)).Name;
        // The return-path domain: the one with both an MX and an SPF record.
        var returnPath = table.Single(r => r.Record == "MX" && table.Any(s => s.Record == "TXT (SPF)" && s.Name == r.Name)).Name;
        var dkimRow = table.Single(r => r.Record == "TXT (DKIM)");
        var sender = dkimRow.Name[(dkimRow.Name.IndexOf("._domainkey.", StringComparison.Ordinal) + "._domainkey.".Length)..];

        _app = new SendApiApp(new Dictionary<string, string?>
        {
            ["Dns:Servers"] = $"127.0.0.1:{_dnsPort.ToString(CultureInfo.InvariantCulture)}",
            ["Dns:Timeout"] = "2s",
            ["Delivery:HeloName"] = helo + Test,
            ["Delivery:ReturnPathDomain"] = returnPath + Test,
        });
        var shop = _app.Client(await _app.CreateKeyAsync("guide-shop"));
        var dkim = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync(sender + Test));

        _dns = await DnsServer.StartAsync(zone =>
        {
            foreach (var row in table)
            {
                if (row.Record == "TXT (DKIM)")
                {
                    zone.Txt(dkim.Name, dkim.Value);
                }
                else if (row.Record.StartsWith("TXT", StringComparison.Ordinal))
                {
                    zone.Txt(row.Name + Test, IncludedName().Replace(row.Value, "include:${name}" + Test));
                }
                else if (row.Record == "MX")
                {
                    var (preference, host) = (row.Value.Split(' ')[0], row.Value.Split(' ')[1]);
                    zone.Mx(row.Name + Test, host + Test, int.Parse(preference, CultureInfo.InvariantCulture));
                }
            }
        }, port: _dnsPort);

        var response = await shop.PostAsync($"/domains/{sender}{Test}/verify", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var verified = JsonNode.Parse(body)!;

        Assert.Equal(["dkim", "spf", "return_path_mx", "dmarc"], verified["dns_records"]!.AsArray().Select(r => (string)r!["purpose"]!));
        Assert.All(verified["dns_records"]!.AsArray(), r => Assert.True((string?)r!["status"] == "verified", r.ToJsonString()));
        Assert.Equal("verified", (string?)verified["status"]);

        // What the guide tells operators to publish is what POST /domains asks for.
        var spf = verified["dns_records"]!.AsArray().Single(r => (string?)r!["purpose"] == "spf")!;
        Assert.Contains(table, r => r.Record == "TXT (SPF)" && r.Name + Test == (string?)spf["name"]
            && IncludedName().Replace(r.Value, "include:${name}" + Test) == (string?)spf["value"]);
        Assert.Contains(table, r => r.Record == "TXT (SPF)" && $"spf.{helo}" == r.Name);
    }

    [GeneratedRegex(@"include:(?<name>[a-z0-9.-]+)", RegexOptions.NonBacktracking)]
    private static partial Regex IncludedName();
}
