using System.Globalization;
using Microsoft.Extensions.Logging;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Core.Throttling;
using SendApi.Delivery.Attempts;

namespace SendApi.Delivery.Throttling;

/// <summary>
/// A "slow down" reply (Gmail 4.7.28, Microsoft RP-00x, …, see <see cref="BackoffRules"/>) lowers
/// the domain's limits, for every instance, for a while.
/// </summary>
internal sealed class DomainBackoff(
    IDomainThrottle throttle, BackoffRules backoff, IStorageAvailability storage, TimeProvider time, ILogger<MessageDelivery> logger)
{
    /// <summary>Applies the first reply of the group that asks to slow down; returns the "throttled" event for the timeline, if one did.</summary>
    public async Task<MessageEvent?> SlowDownIfAskedAsync(DeliveryWork work, RecipientGroup group, IReadOnlyList<SmtpReply> replies)
    {
        for (var k = 0; k < replies.Count; k++)
        {
            if (backoff.Match(replies[k]) is not { } match)
            {
                continue;
            }

            try
            {
                await throttle.SetBackoffAsync(group.Domain, match.Rule.Factor, match.Duration, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // Slowing down is advice; failing to record it must not change what the servers said.
                // An outage is logged once by the availability watch.
                if (!storage.TryNoteOutage(ex))
                {
                    MessageDeliveryLog.LogThrottleFailed(logger, ex, group.Domain);
                }

                return null;
            }

            MessageDeliveryLog.LogBackoff(logger, group.Domain, match.Rule.Name, match.Rule.Factor, match.Duration, replies[k].ToString());
            return new MessageEvent(MessageEventTypes.Throttled, time.GetUtcNow(), work.Envelope.Recipients[group.Recipients[k]].Address,
                // Invariant: the detail is stored and sent to webhooks, the same whatever the server's locale.
                string.Create(CultureInfo.InvariantCulture, $"{group.Domain} asked to slow down (rule {match.Rule.Name}): its rate and connections are at {match.Rule.Factor:P0} for {match.Duration}"), replies[k]);
        }

        return null;
    }
}
