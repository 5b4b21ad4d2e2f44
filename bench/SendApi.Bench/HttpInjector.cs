using System.Diagnostics;
using System.Net.Http.Json;

/// <summary>
/// The HTTP load the comparison and the queued-memory run send: closed-loop clients POSTing
/// <c>/messages</c>, one recipient each (<c>user{i}@domain</c>) and a text body. A <c>503</c> with an
/// Idempotency-Key is retried with the same key, as a client should.
/// </summary>
internal static class HttpInjector
{
    private const string Sender = "bench@sendapi.test";

    /// <summary>
    /// Posts <paramref name="count"/> messages from <paramref name="clients"/> closed-loop clients (each
    /// sends its next message when the last one was answered) and returns each POST's time to its
    /// <c>202</c> in ms, by message index.
    /// </summary>
    public static async Task<double[]> ClosedLoopAsync(HttpClient http, int count, int clients, string body, string domain, Func<int, string?> idempotencyKey)
    {
        var latencies = new double[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var clock = Stopwatch.StartNew();
                await PostAsync(http, body, i, domain, idempotencyKey(i));
                latencies[i] = clock.Elapsed.TotalMilliseconds;
            }
        }));
        return latencies;
    }

    public static async Task PostAsync(HttpClient http, string body, int i, string domain, string? idempotencyKey)
    {
        // A 503 (not durable in time, or Redis away) is retried as a client should, with the same key.
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/messages")
            {
                Content = JsonContent.Create(new
                {
                    from = $"Bench <{Sender}>",
                    to = new[] { $"user{i}@{domain}" },
                    subject = $"Benchmark message {i}",
                    text = body,
                }),
            };
            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }

            using var response = await http.SendAsync(request);
            if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && idempotencyKey is not null)
            {
                await Task.Delay(200);
                continue;
            }

            response.EnsureSuccessStatusCode();
            return;
        }
    }

    /// <summary>Lines of 76 characters, as a mail body would be, up to <paramref name="size"/> bytes.</summary>
    public static string TextBody(int size) => string.Concat(Enumerable.Repeat(new string('x', 76) + "\n", size / 77 + 1))[..size];

    public static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
