using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Core.Messages;
using SendApi.Core.Throttling;
using SendApi.Delivery.Capture;
using SendApi.Delivery.ReturnPaths;
using SendApi.Delivery.Throttling;
using SendApi.Delivery.Transport;

namespace SendApi.Delivery;

/// <summary>What one delivery attempt of a message produced, ready to be recorded.</summary>
internal sealed record AttemptOutcome(IReadOnlyList<RecipientUpdate> Updates, IReadOnlyList<MessageEvent> Events, DateTimeOffset? NextDue);

/// <summary>
/// One attempt at one message: the recipients that are due, grouped by domain; per domain the MX
/// hosts in order until one answers; each recipient's reply turned into its next state.
/// </summary>
internal sealed partial class MessageDelivery(
    MxTransport mx,
    CaptureTransport capture,
    RetryPolicy retry,
    IMessageSigner signer,
    ReturnPathSigning returnPaths,
    IDomainThrottle throttle,
    BackoffRules backoff,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<MessageDelivery> logger)
{
    // A reserved rate slot this close is awaited in the job; a later one sends the message back
    // to the queue, so that a throttled domain never holds a worker for long. Sent-back messages
    // stay away at least MinPostpone, while reservations still cover the time until they return,
    // so the domain's rate is kept up without messages spinning through the queue.
    private static readonly TimeSpan MaxInlineWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MinPostpone = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan MaxThrottleGrace = TimeSpan.FromMinutes(15);

    // Domains whose gates are kept without sweeping: more than the busiest instance's active domains.
    private const int MaxIdleGates = 4096;

    private readonly DeliveryOptions _options = options.Value;

    // Within this instance, transactions to a domain queue here (asynchronously) for its
    // connection limit; the shared throttle then holds the limit across instances.
    private readonly ConcurrentDictionary<string, LocalGate> _localGates = new(StringComparer.OrdinalIgnoreCase);
    private int _sweepingGates;
    private readonly IReadOnlySet<string> _requireTls = options.Value.RequireTlsDomainSet;

    /// <summary>Recipients to attempt now: not final and due (a "sending" left over from a dead worker is due too).</summary>
    public static IReadOnlyList<int> DueRecipients(DeliveryWork work, DateTimeOffset now) =>
        [.. Enumerable.Range(0, work.Recipients.Count).Where(i =>
            !work.Recipients[i].Status.IsFinal() && (work.Recipients[i].NextAttemptAt is null || work.Recipients[i].NextAttemptAt <= now))];

    /// <summary>
    /// Attempts the due recipients. Never throws for what happens on the way: a failure becomes a
    /// reply to record, and on cancellation (shutdown) the domains already done are recorded and
    /// the rest are put back, due at once, so that nothing delivered is delivered twice.
    /// </summary>
    public async Task<AttemptOutcome> AttemptAsync(DeliveryWork work, IReadOnlyList<int> due, CancellationToken cancellationToken)
    {
        var updates = new List<RecipientUpdate>();
        var events = new List<MessageEvent>();
        var attempted = new HashSet<int>();
        var sender = new MailboxAddress("", work.Envelope.Sender);

        if (!TryParse(work.Mime, out var message, out var parseError))
        {
            var unreadable = new SmtpReply(554, "5.6.0", $"The stored message cannot be read: {parseError}");
            foreach (var index in due)
            {
                Record(work, index, unreadable, null, null, updates, events);
            }

            return Outcome(work, updates, events);
        }

        try
        {
            await signer.SignAsync(message, work.Envelope, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An unsigned message still beats no message; the error says why it went unsigned.
            LogSigningFailed(logger, ex, work.Envelope.Id);
        }

        var transport = TransportFor(work);
        var postponed = new Dictionary<int, DateTimeOffset>();
        foreach (var domain in due.GroupBy(i => work.Envelope.Recipients[i].Domain))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            var indices = domain.ToList();
            var limits = _options.LimitsFor(domain.Key);
            ForgetIdleGates();
            // No gate for a transport that reaches no server (capture): the limits protect receivers.
            var gate = transport.UsesDomainLimits ? _localGates.GetOrAdd(domain.Key, _ => new LocalGate(limits.MaxConnections)).Semaphore : null;
            ThrottleDecision permit;
            try
            {
                permit = gate is null ? new ThrottleDecision(true, TimeSpan.Zero, null)
                    : await gate.WaitAsync(MaxInlineWait, cancellationToken)
                    ? await AcquireSharedAsync(gate, domain.Key, limits, cancellationToken)
                    : new ThrottleDecision(false, MinPostpone, null);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The shared throttle is unreachable (store blip): this domain waits, the domains
                // already delivered in this attempt still get recorded.
                LogThrottleFailed(logger, ex, domain.Key);
                permit = new ThrottleDecision(false, MinPostpone, null);
            }

            if (!permit.Granted)
            {
                // Not an attempt: the recipients wait for the domain's next free slot, off the workers.
                // Never past the message's maximum age (and its grace), so that a domain whose
                // limit cannot keep up fails its mail then like any other temporary failure.
                var deadline = ThrottleDeadline(work);
                var until = time.GetUtcNow() + (permit.Wait > MinPostpone ? permit.Wait : MinPostpone);
                foreach (var index in indices)
                {
                    postponed[index] = until < deadline ? until : deadline;
                }

                continue;
            }

            IReadOnlyList<SmtpReply> replies;
            string? via;
            long? durationMs = null;
            try
            {
                if (permit.Wait > TimeSpan.Zero)
                {
                    await Task.Delay(permit.Wait, time, cancellationToken);
                }

                var started = time.GetTimestamp();
                (replies, via) = await transport.SendAsync(new OutboundTransaction(work, domain.Key, message, await ReturnPathForAsync(work, domain.Key, indices, cancellationToken),
                    [.. indices.Select(i => new MailboxAddress("", work.Envelope.Recipients[i].Address))], _requireTls.Contains(domain.Key)), cancellationToken);
                durationMs = (long)time.GetElapsedTime(started).TotalMilliseconds;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A bug or an exception type nobody foresaw must still count as an attempt, so that
                // backoff and the maximum age apply instead of an endless retry at every lease.
                LogUnexpected(logger, ex, work.Envelope.Id, domain.Key);
                (replies, via) = (Same(new SmtpReply(451, "4.3.0", $"Unexpected error delivering to {domain.Key}: {ex.GetType().Name}: {ex.Message}"), indices.Count), null);
            }
            finally
            {
                if (gate is not null)
                {
                    gate.Release();
                    await ReleaseSharedAsync(domain.Key, permit.Token!);
                }
            }

            await SlowDownIfAskedAsync(work, domain.Key, indices, replies, events);
            for (var k = 0; k < indices.Count; k++)
            {
                Record(work, indices[k], replies[k], via, durationMs, updates, events);
                attempted.Add(indices[k]);
            }
        }

        var now = time.GetUtcNow();
        foreach (var index in due.Where(i => !attempted.Contains(i)))
        {
            if (!postponed.TryGetValue(index, out var later))
            {
                // Not reached (shutting down): due again at once.
                updates.Add(new RecipientUpdate(index, work.Recipients[index] with { NextAttemptAt = now, UpdatedAt = now }));
            }
            else if (now >= ThrottleDeadline(work))
            {
                ExpiredWhileThrottled(work, index, now, updates, events);
            }
            else
            {
                updates.Add(new RecipientUpdate(index, work.Recipients[index] with { NextAttemptAt = later, UpdatedAt = now }));
            }
        }

        return Outcome(work, updates, events);
    }

    /// <summary>The instance-wide slot is held; now the limit shared by all instances (and the rate). The local slot is given back on refusal.</summary>
    private async Task<ThrottleDecision> AcquireSharedAsync(SemaphoreSlim gate, string domain, DomainLimits limits, CancellationToken cancellationToken)
    {
        try
        {
            // A dead instance's slots come free when its claims do: the lease is the same.
            var permit = await throttle.TryAcquireAsync(domain, limits.MaxConnections, limits.MaxMessagesPerSecond, MaxInlineWait, _options.ClaimLeaseValue, cancellationToken);
            if (!permit.Granted)
            {
                gate.Release();
            }

            return permit;
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>A slot that cannot be given back (store blip) lapses with its lease; the replies still count.</summary>
    private async Task ReleaseSharedAsync(string domain, string token)
    {
        try
        {
            await throttle.ReleaseAsync(domain, token, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogThrottleFailed(logger, ex, domain);
        }
    }

    /// <summary>
    /// Where this message's transactions go: the recipients' MX hosts, or the capture store when
    /// Delivery:Mode is capture. Decided per message, so that a message's own setting (a sandbox
    /// key) can choose capture while the rest of the instance sends.
    /// </summary>
    private IDeliveryTransport TransportFor(DeliveryWork work) => _options.Captures ? capture : mx;

    /// <summary>The envelope sender: the per-message signed VERP address when a return-path domain is set, else the sender.</summary>
    private async Task<MailboxAddress> ReturnPathForAsync(DeliveryWork work, string recipientDomain, IReadOnlyList<int> indices, CancellationToken cancellationToken)
    {
        if (_options.ReturnPathDomain is not { Length: > 0 } returnPathDomain)
        {
            return new MailboxAddress("", work.Envelope.Sender);
        }

        var keys = await returnPaths.GetAsync(cancellationToken);
        return new MailboxAddress("", ReturnPath.Encode(work.Envelope.Id, indices, recipientDomain, returnPathDomain, keys.Key));
    }

    /// <summary>A "slow down" reply (Gmail 4.7.28, Microsoft RP-00x, …) lowers the domain's limits for a while.</summary>
    private async Task SlowDownIfAskedAsync(DeliveryWork work, string domain, IReadOnlyList<int> indices, IReadOnlyList<SmtpReply> replies, List<MessageEvent> events)
    {
        for (var k = 0; k < replies.Count; k++)
        {
            if (backoff.Match(replies[k]) is not { } match)
            {
                continue;
            }

            try
            {
                await throttle.SetBackoffAsync(domain, match.Rule.Factor, match.Duration, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // Slowing down is advice; failing to record it must not change what the servers said.
                LogThrottleFailed(logger, ex, domain);
                return;
            }

            LogBackoff(logger, domain, match.Rule.Name, match.Rule.Factor, match.Duration, replies[k].ToString());
            events.Add(new MessageEvent(MessageEventTypes.Throttled, time.GetUtcNow(), work.Envelope.Recipients[indices[k]].Address,
                $"{domain} asked to slow down (rule {match.Rule.Name}): its rate and connections are at {match.Rule.Factor:P0} for {match.Duration}", replies[k]));
            return;
        }
    }

    private static AttemptOutcome Outcome(DeliveryWork work, List<RecipientUpdate> updates, List<MessageEvent> events)
    {
        var states = work.Recipients.ToArray();
        foreach (var update in updates)
        {
            states[update.Index] = update.State;
        }

        var nextDue = states.Where(s => !s.Status.IsFinal()).Select(s => s.NextAttemptAt).Min();
        return new AttemptOutcome(updates, events, nextDue);
    }

    private void Record(DeliveryWork work, int index, SmtpReply reply, string? via, long? durationMs, List<RecipientUpdate> updates, List<MessageEvent> events)
    {
        var now = time.GetUtcNow();
        var address = work.Envelope.Recipients[index].Address;
        var attempts = work.Recipients[index].Attempts + 1;
        RecipientState state;
        MessageEvent evt;
        if (reply.IsPositive)
        {
            state = new RecipientState(RecipientStatus.Delivered, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Delivered, now, address, $"{reply} (via {via})", reply, via, durationMs);
        }
        else if (reply.IsPermanent)
        {
            state = new RecipientState(RecipientStatus.Failed, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Failed, now, address, reply.ToString(), reply, via, durationMs);
        }
        else if (retry.NextAttempt(work.Envelope.CreatedAt, attempts, now) is { } next)
        {
            state = new RecipientState(RecipientStatus.Deferred, attempts, reply, next, now);
            evt = new MessageEvent(MessageEventTypes.Deferred, now, address, $"{reply}; next attempt at {next:yyyy-MM-ddTHH:mm:ssZ}", reply, via, durationMs);
        }
        else
        {
            state = new RecipientState(RecipientStatus.Failed, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Failed, now, address,
                $"Gave up after {attempts} attempt(s), the message is older than Delivery:MaxAge ({retry.MaxAge}); last reply: {reply}", reply, via, durationMs);
        }

        updates.Add(new RecipientUpdate(index, state));
        events.Add(evt);
    }

    /// <summary>
    /// Drops the gates of domains with no transaction in flight once there are many: mail reaches
    /// a long tail of domains once each, and their gates would otherwise be kept for ever. A
    /// domain whose gate is dropped just as it is taken can briefly have two; the shared throttle
    /// still holds its connection limit.
    /// </summary>
    private void ForgetIdleGates()
    {
        if (_localGates.Count <= MaxIdleGates || Interlocked.Exchange(ref _sweepingGates, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (domain, gate) in _localGates)
            {
                if (gate.Semaphore.CurrentCount == gate.Capacity)
                {
                    _localGates.TryRemove(new KeyValuePair<string, LocalGate>(domain, gate));
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweepingGates, 0);
        }
    }

    private sealed class LocalGate(int capacity)
    {
        public int Capacity { get; } = capacity;

        public SemaphoreSlim Semaphore { get; } = new(capacity, capacity);
    }

    /// <summary>
    /// When a recipient still waiting for its domain's limit gives up: the maximum age plus a grace
    /// (up to 15 minutes), because the retry schedule puts the final attempt exactly at the maximum
    /// age and a domain that is busy just then must not fail it unattempted.
    /// </summary>
    private DateTimeOffset ThrottleDeadline(DeliveryWork work) =>
        work.Envelope.CreatedAt + retry.MaxAge + (retry.MaxAge < MaxThrottleGrace ? retry.MaxAge : MaxThrottleGrace);

    /// <summary>Still waiting for its domain's rate limit at the maximum age: failed, as a deferred recipient would be.</summary>
    private void ExpiredWhileThrottled(DeliveryWork work, int index, DateTimeOffset now, List<RecipientUpdate> updates, List<MessageEvent> events)
    {
        var recipient = work.Envelope.Recipients[index];
        var reply = new SmtpReply(451, "4.4.5", $"Not sent: {recipient.Domain}'s sending limit (Delivery:Domains) left no slot before Delivery:MaxAge");
        updates.Add(new RecipientUpdate(index, work.Recipients[index] with { Status = RecipientStatus.Failed, LastReply = reply, NextAttemptAt = null, UpdatedAt = now }));
        events.Add(new MessageEvent(MessageEventTypes.Failed, now, recipient.Address,
            $"Gave up, the message is past Delivery:MaxAge ({retry.MaxAge}) and was still waiting for {recipient.Domain}'s sending limit", reply));
    }

    private static SmtpReply[] Same(SmtpReply reply, int count) => Enumerable.Repeat(reply, count).ToArray();

    private static bool TryParse(ReadOnlyMemory<byte> mime, out MimeMessage message, out string error)
    {
        var stream = MemoryMarshal.TryGetArray(mime, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(mime.ToArray(), writable: false);
        using (stream)
        {
            try
            {
                message = MimeMessage.Load(stream);
                error = "";
                return true;
            }
            catch (FormatException ex)
            {
                message = null!;
                error = ex.Message;
                return false;
            }
        }
    }

    [LoggerMessage(EventId = 2023, Level = LogLevel.Warning, Message = "The domain throttle for {Domain} failed; its recipients wait and retry")]
    private static partial void LogThrottleFailed(ILogger logger, Exception exception, string domain);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "{Domain} asked to slow down (rule {Rule}): rate and connections at {Factor} for {Duration}; reply: {Reply}")]
    private static partial void LogBackoff(ILogger logger, string domain, string rule, double factor, TimeSpan duration, string reply);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Error, Message = "Message {MessageId}: signing failed; sending it unsigned")]
    private static partial void LogSigningFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Error, Message = "Message {MessageId}: unexpected error delivering to {Domain}; recorded as a temporary failure")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string messageId, string domain);
}
