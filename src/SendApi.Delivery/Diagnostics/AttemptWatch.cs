using Microsoft.Extensions.Logging;
using SendApi.Core.Diagnostics;
using SendApi.Core.Messages;
using SendApi.Delivery.Attempts;

namespace SendApi.Delivery.Diagnostics;

/// <summary>
/// What an operator sees of one attempt once it is recorded: a log line per recipient the
/// transactions answered (message id, domain, MX host and address, TLS, reply, duration, outcome),
/// the attempt counter by outcome and bounded domain, and the time in queue of each recipient that
/// reached its final state.
/// </summary>
internal sealed class AttemptWatch(SendApiMetrics metrics, DomainLabels domains, TimeProvider time, ILogger<MessageDelivery> logger)
{
    public void Recorded(DeliveryWork work, IReadOnlyList<(RecipientGroup Group, SentTransaction Sent)> transactions, AttemptOutcome outcome)
    {
        var states = outcome.Updates.ToDictionary(u => u.Index, u => u.State);
        foreach (var (group, sent) in transactions)
        {
            var hop = MxHop.Parse(sent.Via);
            string? transactionOutcome = null;
            for (var k = 0; k < group.Recipients.Count; k++)
            {
                var reply = sent.Replies[k];
                var result = states.TryGetValue(group.Recipients[k], out var state) ? Outcome(state.Status) : Outcome(reply);
                transactionOutcome ??= result;
                metrics.DeliveryAttempt(result, domains.For(group.Domain));
                MessageDeliveryLog.LogAttempt(logger, work.Envelope.Id, group.Domain, hop.Host ?? "-", hop.Address ?? "-", hop.Tls,
                    reply.Code, reply.EnhancedCode ?? "-", sent.DurationMs ?? 0, result, state?.Attempts ?? 0);
            }

            if (sent.DurationMs is { } ms && transactionOutcome is not null)
            {
                metrics.DeliveryTransaction(transactionOutcome, TimeSpan.FromMilliseconds(ms));
            }
        }

        var now = time.GetUtcNow();
        foreach (var update in outcome.Updates.Where(u => u.State.Status.IsFinal() && !work.Recipients[u.Index].Status.IsFinal()))
        {
            metrics.TimeInQueue(Outcome(update.State.Status), now - work.Envelope.FirstDueAt);
        }
    }

    private static string Outcome(RecipientStatus status) => status switch
    {
        RecipientStatus.Delivered => "delivered",
        RecipientStatus.Deferred => "deferred",
        RecipientStatus.Failed => "failed",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static string Outcome(SmtpReply reply) => reply.IsPositive ? "delivered" : reply.IsTransient ? "deferred" : "failed";
}
