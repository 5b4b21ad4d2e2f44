using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Submission;

/// <summary>Clients on Smtp:Submission:TrustedNetworks submit without AUTH, attributed to the trusted key.</summary>
public sealed class TrustedNetworkTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Client_from_a_trusted_network_submits_without_auth_and_plain_text()
    {
        await using var app = new SendApiApp(world.Settings(new()
        {
            ["Smtp:Submission:TrustedNetworks"] = "10.0.0.0/8, 127.0.0.0/8",
            ["Smtp:Submission:TrustedApiKey"] = SendApiApp.AdminKey,
        }));
        var http = app.Client();
        var to = $"trusted-{Guid.NewGuid():N}@example.test";

        // Like an application server or Postfix's smtp-source: no TLS, no AUTH.
        await using var swaks = ExternalProcess.Start("/usr/bin/swaks",
            ["--server", $"127.0.0.1:{app.SubmissionPort}", "--from", "app@acme.test", "--to", to, "--header", "Subject: trusted"]);
        Assert.True(await swaks.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, swaks.Describe());

        await world.Mx1.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20), m => m.RcptTos.Contains(to));
        var id = System.Text.RegularExpressions.Regex.Match(swaks.Output, "queued as ([0-9a-f]{32})").Groups[1].Value;
        await http.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "delivered");
    }

    [Fact]
    public async Task Trusted_networks_are_exempt_from_the_per_address_connection_limit_and_others_are_not()
    {
        await using var trusted = new SendApiApp(world.Settings(new()
        {
            ["Smtp:Submission:TrustedNetworks"] = "127.0.0.0/8",
            ["Smtp:Submission:TrustedApiKey"] = SendApiApp.AdminKey,
            ["Smtp:MaxConnectionsPerIp"] = "1",
        }));
        await using var untrusted = new SendApiApp(world.Settings(new() { ["Smtp:MaxConnectionsPerIp"] = "1" }));
        trusted.Client();
        untrusted.Client();

        Assert.All(await BannersAsync(trusted.SubmissionPort, 3), banner => Assert.StartsWith("220", banner));
        var limited = await BannersAsync(untrusted.SubmissionPort, 2);
        Assert.StartsWith("220", limited[0]);
        Assert.StartsWith("421 4.7.0", limited[1]);
    }

    /// <summary>Opens <paramref name="count"/> connections at once, keeping each open, and returns their first replies.</summary>
    private static async Task<string[]> BannersAsync(int port, int count)
    {
        var clients = new List<System.Net.Sockets.TcpClient>();
        try
        {
            var banners = new string[count];
            for (var i = 0; i < count; i++)
            {
                var tcp = new System.Net.Sockets.TcpClient();
                clients.Add(tcp);
                await tcp.ConnectAsync("127.0.0.1", port);
                banners[i] = await new RawSmtp(tcp.GetStream()).ReadReplyAsync();
            }

            return banners;
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Client_outside_the_trusted_networks_must_authenticate()
    {
        await using var app = new SendApiApp(world.Settings(new()
        {
            ["Smtp:Submission:TrustedNetworks"] = "10.0.0.0/8",
            ["Smtp:Submission:TrustedApiKey"] = SendApiApp.AdminKey,
        }));
        app.Client();

        await using var swaks = ExternalProcess.Start("/usr/bin/swaks",
            ["--server", $"127.0.0.1:{app.SubmissionPort}", "--from", "app@acme.test", "--to", "x@example.test", "--quit-after", "RCPT"]);
        Assert.NotEqual(0, await swaks.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("530 5.7.0", swaks.Output);
    }
}
