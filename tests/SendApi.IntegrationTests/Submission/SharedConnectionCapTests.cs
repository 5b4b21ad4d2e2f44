using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Submission;

/// <summary>
/// On Redis, Smtp__MaxConnectionsPerIp holds across the instances sharing it, and the connections
/// of an instance that dies stop counting once its heartbeat lapses.
/// </summary>
public sealed class SharedConnectionCapTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Connections_to_one_instance_count_against_the_per_ip_cap_of_another_until_the_first_dies()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Smtp:MaxConnectionsPerIp"] = "2",
            ["Delivery:InstanceHeartbeat"] = "1s",
            ["Delivery:InstanceTimeout"] = "3s",
        });
        var firstPort = FreePort.Tcp();
        await using var first = SendApiProcess.Start(new Dictionary<string, string?>(settings) { ["Smtp:Submission:Port"] = firstPort.ToString(CultureInfo.InvariantCulture) });
        Assert.Null(await first.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        await using var second = new SendApiApp(settings);
        second.Client();

        // The cap is two: both taken on the first instance, the second refuses a third.
        using var one = await GreetedAsync(firstPort, "220");
        using var two = await GreetedAsync(firstPort, "220");
        (await GreetedAsync(second.SubmissionPort, "421 4.7.0")).Dispose();

        // The first instance dies with its two connections: once its heartbeat lapses they no longer count.
        first.Kill();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string greeting;
        do
        {
            await Task.Delay(250);
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, second.SubmissionPort);
            greeting = await new RawSmtp(tcp.GetStream()).ReadReplyAsync();
        }
        while (!greeting.StartsWith("220", StringComparison.Ordinal) && DateTime.UtcNow < deadline);

        Assert.StartsWith("220", greeting);
    }

    private static async Task<TcpClient> GreetedAsync(int port, string expected)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var greeting = await new RawSmtp(tcp.GetStream()).ReadReplyAsync();
        Assert.StartsWith(expected, greeting);
        return tcp;
    }
}
