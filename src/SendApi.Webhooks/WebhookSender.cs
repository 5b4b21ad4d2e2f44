using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using SendApi.Core.Webhooks;
using SendApi.Webhooks.Network;

namespace SendApi.Webhooks;

/// <summary>What one POST to an endpoint came to.</summary>
/// <param name="StatusCode">Null when no response came.</param>
/// <param name="RetryAfter">The endpoint's Retry-After, already capped.</param>
internal sealed record AttemptResult(int? StatusCode, long LatencyMs, string? Error, TimeSpan? RetryAfter)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;

    public bool Gone => StatusCode == (int)HttpStatusCode.Gone;
}

/// <summary>
/// Makes one signed POST. Every failure becomes a result (never an exception) except the host
/// shutting down, so that the job can record it and decide on a retry.
/// </summary>
internal sealed class WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options)
{
    public const string HttpClientName = "webhooks";

    // Enough of an error response to tell what went wrong, never a whole page.
    private const int ErrorBodyChars = 300;

    public async Task<AttemptResult> SendAsync(Webhook webhook, WebhookDelivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.Id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Header(webhook.SigningSecrets(now), delivery.Id, timestamp, body));
        request.Headers.UserAgent.ParseAdd("SendApi-Webhooks/1");

        // The timeout covers the whole exchange (HttpClient's own stops at the headers).
        var timeout = options.Value.TimeoutValue;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new AttemptResult(status, clock.ElapsedMilliseconds, null, null);
            }

            var excerpt = await ExcerptAsync(response, deadline.Token);
            var retryAfter = RetryAfter.Parse(response.Headers.RetryAfter?.ToString(), now, options.Value.MaxRetryAfterValue);
            return new AttemptResult(status, clock.ElapsedMilliseconds, $"HTTP {status} {response.ReasonPhrase}{excerpt}", retryAfter);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return new AttemptResult(null, clock.ElapsedMilliseconds, $"No answer within {timeout.TotalSeconds:0.###}s (Webhooks:Timeout).", null);
        }
        catch (HttpRequestException ex)
        {
            var refused = ex.InnerException as WebhookAddressRefusedException;
            return new AttemptResult(null, clock.ElapsedMilliseconds, refused is null ? $"Request failed: {Innermost(ex).Message}" : $"Refused: {refused.Message}", null);
        }
    }

    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[ErrorBodyChars * 2];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            var text = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : ": " + (text.Length > ErrorBodyChars ? text[..ErrorBodyChars] + "…" : text);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            return "";
        }
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}
