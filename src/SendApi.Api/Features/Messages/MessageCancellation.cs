using SendApi.Core.Messages;
using SendApi.Core.Queue;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// The one way a message is canceled, whoever asks: its sender (<c>POST /messages/{id}/cancel</c>)
/// or an operator (the queue page's Cancel). Every recipient still waiting for an attempt becomes
/// "canceled", with a "canceled" event (and its <c>message.canceled</c> webhook), and the message
/// leaves the delivery queue, through the queue's claim rules: a message in flight is left alone.
/// </summary>
internal sealed class MessageCancellation(IQueueView queue, IMessageStore messages, TimeProvider time)
{
    public Task<CancelResult> CancelByOperatorAsync(string id, CancellationToken cancellationToken) =>
        MessageIds.IsValid(id)
            ? queue.CancelAsync(id, time.GetUtcNow(), QueueRules.CanceledByOperator, cancellationToken)
            : Task.FromResult(CancelResult.NotFound);

    /// <summary>Another account's message is as missing as one that never was.</summary>
    public async Task<CancelResult> CancelBySenderAsync(string accountId, string id, CancellationToken cancellationToken)
    {
        if (!MessageIds.IsValid(id) || await messages.FindAsync(id, cancellationToken) is not { } message || message.Envelope.AccountId != accountId)
        {
            return CancelResult.NotFound;
        }

        return await queue.CancelAsync(id, time.GetUtcNow(), QueueRules.CanceledBySender, cancellationToken);
    }
}
