using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;

/// <summary>
/// Issue 13's crash experiment: <c>messages</c> messages, half over HTTP and half over SMTP, at a
/// steady rate, while SendApi is SIGKILLed <c>kills</c> times at random moments and restarted at
/// once. The MX (aiosmtpd, Peers/smtp_sink.py) keeps every message it accepts, so each recipient's
/// copies are counted there (by Message-ID): a second copy is a duplicate, charged to the first kill after the
/// first copy arrived;
/// an accepted recipient with no copy is lost. Prints both per kill and the time from the last
/// kill until every accepted message was at the MX.
/// </summary>
internal static class CrashExperiment
{
    public static async Task<int> RunAsync(
        int messages, int kills, int seed, Func<ExternalProcess> startSendApi, ExternalProcess first, Func<Task> waitReady,
        HttpClient http, int submissionPort, int redisPort, string sinkDirectory)
    {
        var random = new Random(seed);
        const int Clients = 8;
        var interval = TimeSpan.FromMilliseconds(2 * Clients * 1000.0 / 100); // 100 messages/s in all
        Console.WriteLine($"crash experiment: {messages} messages (half HTTP, half SMTP) at ~100/s, {kills} SIGKILLs at random moments while mail is being delivered (seed {seed}), each restarted at once; {Environment.ProcessorCount} cores");

        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        var remaining = messages;
        var clock = Stopwatch.StartNew();
        var injection = Task.WhenAll(Enumerable.Range(0, Clients).SelectMany(c => new[] { HttpClientAsync(c), SmtpClientAsync(c) }));

        using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},protocol=resp2");
        var db = connection.GetDatabase();
        var sendApi = first;
        var sinkCountAtKill = new List<int>();
        var killedAt = new List<DateTime>();
        var restarted = new List<ExternalProcess>();
        TimeSpan lastKill = default;
        for (var k = 0; k < kills; k++)
        {
            // Each kill comes while mail is flowing to the MX: the first a few seconds in, the others
            // once the restarted instance (after its take-over of the dead one) delivers again.
            var flowingFrom = SinkCount(sinkDirectory);
            var patience = Stopwatch.StartNew();
            while (SinkCount(sinkDirectory) < flowingFrom + 30 && patience.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(50);
            }

            await Task.Delay(TimeSpan.FromSeconds(1 + (3 * random.NextDouble())));
            sendApi.Kill();
            lastKill = clock.Elapsed;
            killedAt.Add(DateTime.UtcNow);
            sinkCountAtKill.Add(SinkCount(sinkDirectory));
            var notes = connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "sendapi:msg:*:accepted").Count();
            Console.WriteLine($"kill at {lastKill.TotalSeconds,5:0.0} s: {accepted.Count} accepted so far, {await db.SortedSetLengthAsync("sendapi:due")} not finished, {await db.HashLengthAsync("sendapi:claims")} claimed, {notes} with a noted 250 not yet recorded");
            sendApi = startSendApi();
            restarted.Add(sendApi);
            await waitReady();
        }

        await injection;
        var acceptedSet = accepted.ToHashSet(StringComparer.OrdinalIgnoreCase);
        Console.WriteLine($"injection done at {clock.Elapsed.TotalSeconds:0.0} s: {acceptedSet.Count} accepted");

        (Dictionary<string, List<int>> Copies, HashSet<string> Recipients) arrivals;
        while (true)
        {
            arrivals = Arrivals(sinkDirectory);
            if (acceptedSet.All(arrivals.Recipients.Contains) && await db.SortedSetLengthAsync("sendapi:due") == 0)
            {
                break;
            }

            if (clock.Elapsed - lastKill > TimeSpan.FromMinutes(6))
            {
                Console.WriteLine("gave up waiting 6 minutes after the last kill");
                break;
            }

            await Task.Delay(100);
        }

        var allDelivered = clock.Elapsed - lastKill;
        var lost = acceptedSet.Count(a => !arrivals.Recipients.Contains(a));
        var perKill = new int[kills];
        var before = new List<string>();
        foreach (var copies in arrivals.Copies.Values.Where(v => v.Count > 1))
        {
            // The kill that caused it is the first one after the first copy arrived: the copy was
            // in flight then (its second copy may come only after a later kill, with the take-over).
            var kill = sinkCountAtKill.FindIndex(n => n >= copies.Min());
            kill = kill < 0 ? kills - 1 : kill;
            perKill[kill] += copies.Count - 1;
            var firstAt = File.GetLastWriteTimeUtc(Path.Combine(sinkDirectory, $"{copies.Min()}.json"));
            before.Add($"{(killedAt[kill] - firstAt).TotalMilliseconds:0}");
        }

        Console.WriteLine($"duplicates per kill: {string.Join(", ", perKill)} (total {perKill.Sum()}); lost: {lost} of {acceptedSet.Count} accepted");
        Console.WriteLine($"each duplicate's first copy was stored by the MX this many ms before its kill: {string.Join(", ", before.Order())}");
        Console.WriteLine($"every accepted message at the MX {allDelivered.TotalSeconds:0.0} s after the last kill");
        foreach (var process in restarted)
        {
            await process.DisposeAsync();
        }

        return lost == 0 ? 0 : 1;

        bool TakeOne() => Interlocked.Decrement(ref remaining) >= 0;

        async Task HttpClientAsync(int c)
        {
            for (var i = 0; TakeOne(); i++)
            {
                var to = $"chaos-h{c}-{i}@bench.test";
                var next = clock.Elapsed + interval;
                while (true)
                {
                    try
                    {
                        using var response = await http.PostAsJsonAsync("/messages", new { from = "bench@sendapi.test", to = new[] { to }, subject = "crash experiment", text = "x" });
                        if (response.IsSuccessStatusCode)
                        {
                            accepted.Add(to);
                            break;
                        }
                    }
                    catch (HttpRequestException)
                    {
                    }

                    await Task.Delay(200);
                }

                await Pace(next);
            }
        }

        async Task SmtpClientAsync(int c)
        {
            SmtpClient? smtp = null;
            for (var i = 0; TakeOne(); i++)
            {
                var to = $"chaos-s{c}-{i}@bench.test";
                var next = clock.Elapsed + interval;
                while (true)
                {
                    try
                    {
                        if (smtp is null)
                        {
                            smtp = new SmtpClient { Timeout = 10_000 };
                            await smtp.ConnectAsync("127.0.0.1", submissionPort, SecureSocketOptions.None);
                        }

                        var message = new MimeMessage();
                        message.From.Add(MailboxAddress.Parse("bench@sendapi.test"));
                        message.To.Add(MailboxAddress.Parse(to));
                        message.Subject = "crash experiment";
                        message.Body = new TextPart("plain") { Text = "x" };
                        await smtp.SendAsync(message);
                        accepted.Add(to);
                        break;
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or SmtpCommandException or SmtpProtocolException or MailKit.ServiceNotConnectedException or OperationCanceledException)
                    {
                        // The instance died (or answered 4xx while starting): the message was not acknowledged; send it again.
                        smtp?.Dispose();
                        smtp = null;
                        await Task.Delay(200);
                    }
                }

                await Pace(next);
            }

            if (smtp is not null)
            {
                try
                {
                    await smtp.DisconnectAsync(true);
                }
                catch (Exception)
                {
                }

                smtp.Dispose();
            }
        }

        async Task Pace(TimeSpan next)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }
    }

    private static int SinkCount(string directory) => Directory.GetFiles(directory, "*.json").Length;

    /// <summary>
    /// Each accepted message's copies at the MX (by Message-ID, one per acceptance: a client that
    /// submits again after a kill cut off its answer makes a new message, not a duplicate), by the
    /// sink's arrival number, and the recipients that got any copy.
    /// </summary>
    private static (Dictionary<string, List<int>> Copies, HashSet<string> Recipients) Arrivals(string directory)
    {
        var copies = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var recipients = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.GetFiles(directory, "*.json"))
        {
            var sequence = int.Parse(Path.GetFileNameWithoutExtension(file), System.Globalization.CultureInfo.InvariantCulture);
            using (var json = JsonDocument.Parse(File.ReadAllText(file)))
            {
                foreach (var rcpt in json.RootElement.GetProperty("rcpt_tos").EnumerateArray())
                {
                    recipients.Add(rcpt.GetString()!);
                }
            }

            using var eml = File.OpenRead(Path.ChangeExtension(file, ".eml"));
            var messageId = HeaderList.Load(eml)[HeaderId.MessageId] ?? file;
            if (!copies.TryGetValue(messageId, out var list))
            {
                copies[messageId] = list = [];
            }

            list.Add(sequence);
        }

        return (copies, recipients);
    }
}
