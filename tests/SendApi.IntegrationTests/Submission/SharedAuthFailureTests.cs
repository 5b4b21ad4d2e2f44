using System.Net;
using System.Net.Sockets;
using System.Text;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Submission;

/// <summary>On Redis, failed AUTH attempts from one address count across every instance sharing it.</summary>
public sealed class SharedAuthFailureTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Failed_logins_spread_over_two_instances_on_one_redis_lock_the_address_out_on_both()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Smtp:AllowInsecureAuth"] = "true",
        });
        await using var first = new SendApiApp(settings);
        await using var second = new SendApiApp(settings);
        first.Client();
        second.Client();

        // Ten failures lock an address out (421 and disconnect); five on each instance is ten.
        // Per process, the second instance would still answer 535 to all of its five.
        var replies = new List<string>();
        foreach (var port in new[] { first.SubmissionPort, second.SubmissionPort })
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var smtp = new RawSmtp(tcp.GetStream());
            await smtp.ReadReplyAsync();
            await smtp.CommandAsync("EHLO guesser.test", "250");
            for (var i = 0; i < 5; i++)
            {
                await smtp.WriteAsync($"AUTH PLAIN {Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0apikey\0wrong-{i}"))}\r\n");
                replies.Add(await smtp.ReadReplyAsync());
            }
        }

        Assert.All(replies.Take(9), reply => Assert.StartsWith("535 5.7.8", reply));
        Assert.StartsWith("421 4.7.0", replies[9]);

        // A new connection to the first instance is refused before its credentials are looked at.
        using var again = new TcpClient();
        await again.ConnectAsync(IPAddress.Loopback, first.SubmissionPort);
        var locked = new RawSmtp(again.GetStream());
        await locked.ReadReplyAsync();
        await locked.CommandAsync("EHLO guesser.test", "250");
        await locked.CommandAsync($"AUTH PLAIN {Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0apikey\0{SendApiApp.AdminKey}"))}", "421 4.7.0");
    }
}
