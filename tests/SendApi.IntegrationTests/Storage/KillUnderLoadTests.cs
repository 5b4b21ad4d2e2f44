using System.Globalization;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// Two instances on one Redis, mail submitted over HTTP and SMTP, one instance SIGKILLed while it
/// delivers: the survivor takes its mail over and delivers every acknowledged message; nothing is
/// lost, and only mail in flight at the kill can arrive twice. SENDAPI_FAULT_SCALE multiplies the
/// message count (default 60).
/// </summary>
public sealed class KillUnderLoadTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    private static readonly int Scale = int.TryParse(Environment.GetEnvironmentVariable("SENDAPI_FAULT_SCALE"), CultureInfo.InvariantCulture, out var scale) && scale > 0 ? scale : 1;

    [Fact]
    public async Task A_SIGKILL_under_load_loses_no_acknowledged_message_and_duplicates_only_what_was_in_flight()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Delivery:InstanceHeartbeat"] = "1s",
            ["Delivery:InstanceTimeout"] = "3s",
            ["Smtp:Submission:TrustedNetworks"] = "127.0.0.0/8",
            ["Smtp:Submission:TrustedApiKey"] = SendApiApp.AdminKey,
        });
        var run = Guid.NewGuid().ToString("N")[..8];
        var count = 60 * Scale;
        var submissionPort = FreePort.Tcp();
        await using var doomed = SendApiProcess.Start(new Dictionary<string, string?>(settings) { ["Smtp:Submission:Port"] = submissionPort.ToString(CultureInfo.InvariantCulture) });
        Assert.Null(await doomed.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        await using var survivor = new SendApiApp(settings);
        survivor.Client();

        // Half the recipients' MX answers DATA after 2 s, so that the doomed instance has mail in
        // flight; half over HTTP, half over SMTP, all to the instance that will die.
        var accepted = new List<string>();
        using (var http = doomed.Client())
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", submissionPort, SecureSocketOptions.None);
            for (var i = 0; i < count; i++)
            {
                var to = $"{(i % 4 < 2 ? "slow" : "fast")}-{run}-{i}@example.test";
                if (i % 2 == 0)
                {
                    await http.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = $"load {i}", text = "x" });
                }
                else
                {
                    var message = new MimeMessage();
                    message.From.Add(MailboxAddress.Parse("a@acme.test"));
                    message.To.Add(MailboxAddress.Parse(to));
                    message.Subject = $"load {i}";
                    message.Body = new TextPart("plain") { Text = "x" };
                    await smtp.SendAsync(message);
                }

                accepted.Add(to);
            }

            await smtp.DisconnectAsync(true);
        }

        await world.Mx1.WaitForMessagesAsync(count / 8, TimeSpan.FromSeconds(60), Ours);
        doomed.Kill();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var claimedAtKill = (int)await connection.GetDatabase().HashLengthAsync("sendapi:claims");
        var arrivedAtKill = world.Mx1.Messages.Count(Ours);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60 + (10 * Scale));
        while (accepted.Any(a => !Arrived().Contains(a)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var lost = accepted.Where(a => !Arrived().Contains(a)).ToList();
        var copies = world.Mx1.Messages.Where(Ours).GroupBy(m => m.Parse().MessageId).Select(g => g.Count()).ToList();
        var duplicates = copies.Sum() - copies.Count;
        output.WriteLine($"{count} accepted (HTTP and SMTP), {arrivedAtKill} at the MX and {claimedAtKill} claimed at the kill; {lost.Count} lost, {duplicates} duplicate(s)");

        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged message(s) never arrived: {string.Join(", ", lost.Take(10))}");
        Assert.Equal(count, copies.Count);
        Assert.True(duplicates <= claimedAtKill, $"{duplicates} duplicates, but only {claimedAtKill} messages were claimed at the kill");
        // The last arrival's attempt is recorded just after it arrived.
        var queueDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await connection.GetDatabase().SortedSetLengthAsync("sendapi:due") > 0 && DateTime.UtcNow < queueDeadline)
        {
            await Task.Delay(100);
        }

        Assert.True(await connection.GetDatabase().SortedSetLengthAsync("sendapi:due") == 0, "mail is left in the queue");

        bool Ours(ReceivedMessage m) => m.RcptTos.Any(r => r.Contains(run, StringComparison.Ordinal));
        HashSet<string> Arrived() => [.. world.Mx1.Messages.Where(Ours).SelectMany(m => m.RcptTos)];
    }
}
