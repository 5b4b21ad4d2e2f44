using System.Diagnostics.Metrics;

namespace SendApi.Core.Diagnostics;

/// <summary>
/// Every instrument SendApi reports, on the one meter <see cref="MeterName"/> (as Kestrel's
/// <c>KestrelMetrics</c> does): each component calls the method of what it saw, and the host
/// exports the meter (Prometheus text at <c>/metrics</c>). Names follow OpenTelemetry's
/// conventions; the exporter turns <c>sendapi.delivery.attempts</c> into
/// <c>sendapi_delivery_attempts_total</c> and a unit of seconds into a <c>_seconds</c> suffix.
/// Tag values are small fixed sets, and destination domains are bounded by the caller.
/// </summary>
public sealed class SendApiMetrics
{
    public const string MeterName = "SendApi";

    // Seconds. From a few seconds (the normal case) to Delivery:MaxAge's default of 5 days.
    private static readonly double[] QueueTimeBuckets = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 14400, 43200, 86400, 259200, 432000];
    private static readonly double[] SmtpDurationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private static readonly double[] WebhookLagBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
    private static readonly double[] RedisBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _attemptDuration;
    private readonly Histogram<double> _queueTime;
    private readonly Counter<long> _smtpSessions;
    private readonly Counter<long> _smtpAuthFailures;
    private readonly Counter<long> _inbound;
    private readonly Counter<long> _webhookAttempts;
    private readonly Histogram<double> _webhookLag;
    private readonly Histogram<double> _redisRoundTrip;

    /// <param name="queue">The store's queue gauge; without one (a test of one component) there are no queue gauges.</param>
    public SendApiMetrics(IMeterFactory meterFactory, IQueueGauge? queue = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(new MeterOptions(MeterName));
        _accepted = meter.CreateCounter<long>("sendapi.messages.accepted", "{message}",
            "Messages accepted (202 or SMTP 250), by channel: http or smtp.");
        _attempts = meter.CreateCounter<long>("sendapi.delivery.attempts", "{attempt}",
            "Delivery attempts per recipient, by outcome (delivered, deferred, failed) and destination domain (bounded; the rest is \"other\").");
        _attemptDuration = meter.CreateHistogram("sendapi.delivery.attempt.duration", "s",
            "How long one SMTP transaction took, from the connection or its reuse to the last reply, by outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SmtpDurationBuckets });
        _queueTime = meter.CreateHistogram("sendapi.queue.time", "s",
            "Time from accepting a message to a recipient's final state, by outcome (delivered, failed).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = QueueTimeBuckets });
        _smtpSessions = meter.CreateCounter<long>("sendapi.smtp.sessions", "{session}",
            "SMTP connections accepted by a listener (submission, submissions, inbound), refused ones included.");
        _smtpAuthFailures = meter.CreateCounter<long>("sendapi.smtp.auth.failures", "{failure}",
            "SMTP AUTH attempts refused for wrong credentials, by listener.");
        _inbound = meter.CreateCounter<long>("sendapi.inbound.messages", "{message}",
            "Messages received on the inbound listener, by kind: dsn, arf, auto_reply, reply (at a return path), inbound (at an inbound domain), unsubscribe (only to mailto unsubscribe addresses).");
        _webhookAttempts = meter.CreateCounter<long>("sendapi.webhooks.attempts", "{attempt}",
            "Webhook requests, by result: success, http_error, no_response, gone.");
        _webhookLag = meter.CreateHistogram("sendapi.webhooks.lag", "s",
            "Time from a webhook delivery's creation to its first attempt.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WebhookLagBuckets });
        _redisRoundTrip = meter.CreateHistogram("sendapi.redis.round_trip_time", "s",
            "Round trip of the queue gauges' one Redis call (three O(log n) commands, pipelined), at most once per scrape.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RedisBuckets });

        if (queue is not null)
        {
            var readings = new QueueReadingCache(queue, time ?? TimeProvider.System, reading =>
            {
                if (reading.RoundTrip is { } roundTrip)
                {
                    RedisRoundTrip(roundTrip);
                }
            });
            meter.CreateObservableGauge("sendapi.queue.depth", () => Observe(readings, r => (double)r.Depth), "{message}",
                "Messages in the delivery queue: waiting, in flight and deferred.");
            meter.CreateObservableGauge("sendapi.queue.due", () => Observe(readings, r => (double)r.Due), "{message}",
                "Messages due now that no worker has claimed yet.");
            meter.CreateObservableGauge("sendapi.queue.oldest_due_age", () => Observe(readings, r => r.OldestDueAge.TotalSeconds), "s",
                "How long the message that has been due the longest has waited for a worker (0 when none is due).");
        }
    }

    public void MessageAccepted(string channel) => _accepted.Add(1, new KeyValuePair<string, object?>("channel", channel));

    /// <param name="domain">The destination domain's label: bounded by the caller (a known domain or "other").</param>
    public void DeliveryAttempt(string outcome, string domain) =>
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("domain", domain));

    public void DeliveryTransaction(string outcome, TimeSpan duration) =>
        _attemptDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    public void TimeInQueue(string outcome, TimeSpan time) =>
        _queueTime.Record(Math.Max(0, time.TotalSeconds), new KeyValuePair<string, object?>("outcome", outcome));

    public void SmtpSession(string listener) => _smtpSessions.Add(1, new KeyValuePair<string, object?>("listener", listener));

    public void SmtpAuthFailure(string listener) => _smtpAuthFailures.Add(1, new KeyValuePair<string, object?>("listener", listener));

    public void InboundMessage(string kind) => _inbound.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void WebhookAttempt(string result) => _webhookAttempts.Add(1, new KeyValuePair<string, object?>("result", result));

    public void WebhookLag(TimeSpan lag) => _webhookLag.Record(Math.Max(0, lag.TotalSeconds));

    public void RedisRoundTrip(TimeSpan elapsed) => _redisRoundTrip.Record(elapsed.TotalSeconds);

    private static IEnumerable<Measurement<double>> Observe(QueueReadingCache readings, Func<QueueReading, double> value) =>
        readings.Latest() is { } reading ? [new Measurement<double>(value(reading))] : [];
}
