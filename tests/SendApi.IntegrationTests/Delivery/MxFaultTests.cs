using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>One <see cref="FaultyMx"/> per fault, each the MX of its own domain, and one SendApi delivering to them.</summary>
public sealed class MxFaultWorld : IAsyncLifetime
{
    private readonly Dictionary<MxFault, FaultyMx> _mx = [];
    private DnsServer _dns = null!;

    public SendApiApp App { get; private set; } = null!;

    public FaultyMx Mx(MxFault fault) => _mx[fault];

    public static string Domain(MxFault fault) => $"{fault.ToString().ToLowerInvariant()}.faults.test";

    public async Task InitializeAsync()
    {
        var port = FreePort.Tcp();
        var faults = Enum.GetValues<MxFault>();
        _dns = await DnsServer.StartAsync(zone =>
        {
            for (var k = 0; k < faults.Length; k++)
            {
                zone.Mx(Domain(faults[k]), $"mx.{Domain(faults[k])}", 10).A($"mx.{Domain(faults[k])}", $"127.0.1.{k + 1}");
            }
        });
        for (var k = 0; k < faults.Length; k++)
        {
            _mx[faults[k]] = FaultyMx.Start($"127.0.1.{k + 1}", port, faults[k]);
        }

        App = new SendApiApp(new Dictionary<string, string?>
        {
            ["Dns:Servers"] = _dns.Server,
            ["Delivery:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Delivery:HeloName"] = "sendapi.test",
            ["Delivery:ConnectTimeout"] = "3s",
            // The tarpit holds the final dot past this.
            ["Delivery:CommandTimeout"] = "2s",
            // One attempt per test: what it ends in is what is asserted.
            ["Delivery:RetrySchedule"] = "1h",
        });
        App.Client();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        foreach (var mx in _mx.Values)
        {
            await mx.DisposeAsync();
        }

        await _dns.DisposeAsync();
    }
}

/// <summary>
/// Each way an MX misbehaves ends the attempt in the status its reply means (deferred for a
/// temporary failure or a broken connection, failed for a permanent refusal, delivered after a
/// fallback), within the timeouts, and no recipient is left in "sending".
/// </summary>
public sealed class MxFaultTests(MxFaultWorld world, ITestOutputHelper output) : IClassFixture<MxFaultWorld>
{
    [Theory]
    [InlineData(MxFault.RefusesAtGreeting, 1, "deferred", 421)]
    [InlineData(MxFault.DefersRecipients, 1, "deferred", 451)]
    [InlineData(MxFault.TakesTwoRecipients, 3, "delivered,delivered,deferred", 452)]
    [InlineData(MxFault.RejectsData, 2, "failed,failed", 550)]
    [InlineData(MxFault.DropsMidData, 1, "deferred", 451)]
    [InlineData(MxFault.DropsAfterFinalDot, 1, "deferred", 451)]
    [InlineData(MxFault.HoldsTheFinalDot, 1, "deferred", 451)]
    [InlineData(MxFault.BreaksTlsAfterStartTls, 1, "delivered", 250)]
    public async Task A_misbehaving_mx_leaves_each_recipient_in_the_status_its_fault_means_and_none_sending(MxFault fault, int recipients, string expected, int lastCode)
    {
        var http = world.App.Client();
        var run = Guid.NewGuid().ToString("N")[..8];
        var to = Enumerable.Range(0, recipients).Select(i => $"r{i}-{run}@{MxFaultWorld.Domain(fault)}").ToArray();
        var started = DateTime.UtcNow;
        var id = await http.SendAsync(new { from = "a@acme.test", to, subject = $"fault {fault}", text = "x" });

        var statuses = expected.Split(',');
        var message = await http.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "deferred", "failed", "delivered");
        var got = to.Select(a => (string?)message.Recipient(a)["status"]).ToArray();
        output.WriteLine($"{fault}: {string.Join(", ", got)} after {(DateTime.UtcNow - started).TotalSeconds:0.0} s; last reply {message.Recipient(to[^1])["last_response"]?.ToJsonString()}");

        Assert.Equal(statuses, got);
        Assert.Equal(lastCode, (int)message.Recipient(to[^1])["last_response"]!["code"]!);
        Assert.Equal(statuses.Count(s => s == "delivered"), world.Mx(fault).Accepted.Count(a => a.Contains(run, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_session_the_mx_closed_after_its_message_is_not_reused_and_the_next_message_is_delivered_over_a_new_one()
    {
        var http = world.App.Client();
        var mx = world.Mx(MxFault.ClosesAfterEachMessage);
        var run = Guid.NewGuid().ToString("N")[..8];
        foreach (var n in new[] { 1, 2 })
        {
            var to = $"r{n}-{run}@{MxFaultWorld.Domain(MxFault.ClosesAfterEachMessage)}";
            var id = await http.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "closes", text = "x" });
            var message = await http.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "deferred", "failed", "delivered");

            // Not deferred by a dead pooled session: the second went over a connection of its own.
            Assert.Equal("delivered", (string?)message.Recipient(to)["status"]);
        }

        Assert.Equal(2, mx.Accepted.Count(a => a.Contains(run, StringComparison.Ordinal)));
        Assert.True(mx.Connections >= 2, $"{mx.Connections} connection(s)");
    }

    [Fact]
    public async Task A_reused_session_carries_the_next_message_without_an_rset_when_the_mx_said_nothing_since()
    {
        var http = world.App.Client();
        var mx = world.Mx(MxFault.None);
        var run = Guid.NewGuid().ToString("N")[..8];
        for (var n = 0; n < 3; n++)
        {
            var to = $"r{n}-{run}@{MxFaultWorld.Domain(MxFault.None)}";
            var id = await http.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "reuse", text = "x" });
            Assert.Equal("delivered", (string?)(await http.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "deferred", "failed", "delivered")).Recipient(to)["status"]);
        }

        output.WriteLine($"{mx.Connections} connection(s), {mx.Resets} RSET(s)");
        Assert.Equal(1, mx.Connections);
        Assert.Equal(0, mx.Resets);
    }
}
