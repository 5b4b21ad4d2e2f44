using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Hosting;

/// <summary>
/// A listener that cannot bind stops the start with one line that names the port, its setting and
/// the fix, as the real process prints it (no stack trace).
/// </summary>
public sealed class ListenerStartupTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_port_in_use_stops_the_start_with_one_line_naming_the_port_and_its_setting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        await using var app = SendApiProcess.Start(new Dictionary<string, string?> { ["Smtp:Inbound:Port"] = port });
        var exit = await app.WaitUntilReadyOrExitAsync(Start);

        Assert.Equal(1, exit);
        var line = Assert.Single(ErrorLines(app.Output));
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("Smtp__Inbound__Port", line, StringComparison.Ordinal);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    /// <summary>"localhost" is both loopbacks to Kestrel: a port taken on [::1] alone made it throw, with its stack trace.</summary>
    [Fact]
    public async Task A_port_taken_on_the_IPv6_loopback_stops_a_localhost_start_with_one_line()
    {
        using var taken = new TcpListener(IPAddress.IPv6Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        await using var app = SendApiProcess.Start(new Dictionary<string, string?> { ["Smtp:BindAddress"] = "localhost", ["Smtp:Inbound:Port"] = port });
        var exit = await app.WaitUntilReadyOrExitAsync(Start);

        Assert.True(exit == 1, app.Output);
        var line = Assert.Single(ErrorLines(app.Output));
        Assert.Contains($"localhost:{port}", line, StringComparison.Ordinal);
        Assert.Contains("Smtp__Inbound__Port", line, StringComparison.Ordinal);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_privileged_port_for_an_ordinary_user_says_permission_denied_and_how_to_run_locally()
    {
        // Port 25 is privileged unless the kernel was told otherwise; as root, the test takes the
        // right to bind it away from the app, as a newcomer without root runs it.
        var unprivilegedStart = int.Parse(await File.ReadAllTextAsync("/proc/sys/net/ipv4/ip_unprivileged_port_start"), CultureInfo.InvariantCulture);
        Assert.True(unprivilegedStart > 25, $"This machine lets anyone bind port 25 (ip_unprivileged_port_start={unprivilegedStart}); the test needs it privileged.");

        await using var app = SendApiProcess.Start(
            new Dictionary<string, string?> { ["Smtp:Inbound:Port"] = "25" },
            withoutPortPrivilege: true);
        var exit = await app.WaitUntilReadyOrExitAsync(Start);

        Assert.True(exit == 1, app.Output);
        var line = Assert.Single(ErrorLines(app.Output));
        Assert.Contains("127.0.0.1:25 ", line, StringComparison.Ordinal);
        Assert.Contains("permission denied", line, StringComparison.Ordinal);
        Assert.Contains("Smtp__Inbound__Port", line, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project src/SendApi", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bare_machine_name_as_helo_name_is_warned_about_once_at_start()
    {
        await using var app = SendApiProcess.Start(new Dictionary<string, string?> { ["Delivery:HeloName"] = "mailhost", ["Smtp:Inbound:Port"] = "0" });
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Start));

        var warnings = app.Output.Split('\n').Count(l => l.Contains("Delivery:HeloName is 'mailhost', which is not a fully qualified domain name", StringComparison.Ordinal));
        Assert.Equal(1, warnings);
        Assert.Contains("Delivery__HeloName", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fully_qualified_helo_name_gets_no_warning()
    {
        await using var app = SendApiProcess.Start(new Dictionary<string, string?> { ["Delivery:HeloName"] = "mail.sendapi.test", ["Smtp:Inbound:Port"] = "0" });
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Start));

        Assert.DoesNotContain("not a fully qualified domain name", app.Output, StringComparison.Ordinal);
    }

    /// <summary>What the process wrote to standard error (ExternalProcess marks those lines "! ").</summary>
    private static List<string> ErrorLines(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith("! ", StringComparison.Ordinal)).Select(l => l[2..].TrimEnd('\r'))];
}
