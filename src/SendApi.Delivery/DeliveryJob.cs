using Hangfire;
using Hangfire.Common;
using Hangfire.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Instances;
using SendApi.Core.Messages;
using SendApi.Core.Storage;

namespace SendApi.Delivery;

/// <summary>
/// The Hangfire job that delivers due mail. It claims when it starts, not when it is enqueued: a
/// job waiting in Hangfire's queue holds nothing, so a crash meanwhile loses and delays nothing,
/// and running it is never about renewing someone else's claim. Running, it keeps up to
/// <see cref="DeliveryOptions.ConcurrencyPerJob"/> messages in flight, claiming more as they
/// finish, until nothing is due or it is <see cref="DeliveryOptions.JobLifetime"/> old; then it
/// finishes what it holds and returns what happened. So its Hangfire state is the truth about its
/// mail: Processing while any of it is in flight, Succeeded once all of it is recorded, with the
/// counts as the result.
/// </summary>
public sealed class DeliveryJob
{
    public const string Queue = "delivery";

    /// <summary>Enqueued by the pump: mail is due now and no job was waiting for it.</summary>
    internal const string MailDue = "mail is due";

    /// <summary>Scheduled at a retry time: deferred mail falls due.</summary>
    internal const string RetriesDue = "retries fall due";

    private readonly IDeliveryQueue _queue;
    private readonly MessageDelivery _delivery;
    private readonly DueMailSignal _dueMail;
    private readonly RetryWakeUps _wakeUps;
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ProcessInstance _instance;
    private readonly IStorageAvailability _storage;
    private readonly ILogger<DeliveryJob> _logger;

    internal DeliveryJob(
        IDeliveryQueue queue, MessageDelivery delivery, DueMailSignal dueMail, RetryWakeUps wakeUps, TimeProvider time,
        IOptions<DeliveryOptions> options, IHostApplicationLifetime lifetime, ProcessInstance instance, IStorageAvailability storage, ILogger<DeliveryJob> logger)
    {
        _instance = instance;
        _storage = storage;
        _queue = queue;
        _delivery = delivery;
        _dueMail = dueMail;
        _wakeUps = wakeUps;
        _time = time;
        _options = options.Value;
        _lifetime = lifetime;
        _logger = logger;
    }

    /// <summary>The job as Hangfire stores it; <paramref name="trigger"/> is what its name in the dashboard says woke it.</summary>
    internal static Job For(string trigger) => Job.FromExpression<DeliveryJob>(j => j.RunAsync(trigger, (PerformContext?)null, CancellationToken.None));

    // Retries are ours (per recipient, with backoff, in the delivery queue), never Hangfire's: a job
    // that failed (the store was unreachable when it started) held nothing, and the pump starts another.
    [AutomaticRetry(Attempts = 0)]
    [Queue(Queue)]
    [JobDisplayName("Deliver due mail ({0})")]
    public async Task<DeliveryJobResult> RunAsync(string trigger, PerformContext? context, CancellationToken cancellationToken)
    {
        // Shutdown ends claiming at once (Hangfire cancels its token only when the server stops).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.ApplicationStopping);
        var run = new DeliveryRun(_instance.Token(ClaimToken(context)), _queue, _delivery, _dueMail, _wakeUps, _time, _options, _storage, _logger);
        return await run.RunAsync(stop.Token);
    }

    /// <summary>
    /// A batch job enqueued by a version before jobs claimed at start (Redis keeps it across an
    /// upgrade): its messages are claimed under <paramref name="claim"/>. Released at once rather than
    /// left to their lease, they are due again and today's jobs deliver them. Remove once upgrades
    /// from a version with batch jobs are no longer supported.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    [Queue(Queue)]
    [JobDisplayName("Release batch {0} (enqueued by an earlier version)")]
    public async Task RunAsync(string claim, string[] messageIds, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var id in messageIds)
        {
            // Only while the batch's claim still holds: a message another claim took is left alone.
            await _queue.CompleteAsync(claim, id, [], [], now, null, cancellationToken);
        }
    }

    /// <summary>
    /// The claim names the Hangfire job that holds it (the delivery queue records it per message),
    /// so an operator can go from a stuck message to its job; the instance's id goes before it (see
    /// <see cref="InstanceHeartbeat"/>). Unique per run: Hangfire may run the
    /// same job again (its server died), and two runs must never share a claim.
    /// </summary>
    private static string ClaimToken(PerformContext? context) =>
        $"{context?.BackgroundJob?.Id ?? "job"}:{Guid.NewGuid().ToString("N")[..12]}";
}
