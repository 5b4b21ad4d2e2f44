using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Capture;
using SendApi.Delivery.ReturnPaths;
using SendApi.Delivery.Throttling;

namespace SendApi.Delivery.Transport;

/// <summary>
/// Sending one group's transaction through the message's transport, holding the domain's turn:
/// whatever goes wrong on the way becomes a reply to record, never an exception, so that backoff
/// and the maximum age apply to it as to any temporary failure.
/// </summary>
internal sealed class TransactionSender(
    MxTransport mx,
    CaptureTransport capture,
    ReturnPathSigning returnPaths,
    IStorageAvailability storage,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<MessageDelivery> logger)
{
    private readonly DeliveryOptions _options = options.Value;
    private readonly IReadOnlySet<string> _requireTls = options.Value.RequireTlsDomainSet;

    /// <summary>
    /// Where this message's transactions go: the recipients' MX hosts, or the capture store when
    /// Delivery:Mode is capture or the message was sent with a sandbox key. Decided per message,
    /// so that a sandbox key's mail is captured while the rest of the instance sends.
    /// </summary>
    public IDeliveryTransport TransportFor(DeliveryWork work) => _options.Captures || work.Envelope.Sandbox ? capture : mx;

    /// <summary>
    /// Waits for the turn's reserved slot, sends <paramref name="body"/> to the group, and gives
    /// the turn back, whatever happened.
    /// </summary>
    /// <returns>The replies; null when shutdown cut the transaction short (not an attempt: its recipients are put back).</returns>
    public async Task<SentTransaction?> SendAsync(
        IDeliveryTransport transport, DeliveryWork work, RecipientGroup group, OutgoingBody body, DomainTurn turn, CancellationToken cancellationToken)
    {
        try
        {
            if (turn.Wait > TimeSpan.Zero)
            {
                await Task.Delay(turn.Wait, time, cancellationToken);
            }

            var started = time.GetTimestamp();
            var (replies, via) = await transport.SendAsync(new OutboundTransaction(work, group.Domain, body, await ReturnPathForAsync(work, group, cancellationToken),
                [.. group.Recipients.Select(i => new MailboxAddress("", work.Envelope.Recipients[i].Address))], _requireTls.Contains(group.Domain)), cancellationToken);
            return new SentTransaction(replies, via, (long)time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            // A bug or an exception type nobody foresaw must still count as an attempt, so that
            // backoff and the maximum age apply instead of an endless retry at every lease.
            MessageDeliveryLog.LogUnexpected(logger, ex, work.Envelope.Id, group.Domain);
            var reply = new SmtpReply(451, "4.3.0", $"Unexpected error delivering to {group.Domain}: {ex.GetType().Name}: {ex.Message}");
            return new SentTransaction([.. group.Recipients.Select(_ => reply)], null, null);
        }
        finally
        {
            await turn.ReleaseAsync();
        }
    }

    /// <summary>
    /// False while the return-path key can't be read because the store is down (a process that
    /// started during an outage reads it on first use): the mail then waits rather than going out
    /// with a return path bounces can't be matched to. Once read, the key is kept for good.
    /// </summary>
    public async Task<bool> ReturnPathKeyAtHandAsync(CancellationToken cancellationToken)
    {
        if (_options.ReturnPathDomain is not { Length: > 0 })
        {
            return true;
        }

        try
        {
            await returnPaths.GetAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && storage.TryNoteOutage(ex))
        {
            return false;
        }
    }

    /// <summary>The envelope sender: the per-message signed VERP address when a return-path domain is set, else the sender.</summary>
    private async Task<MailboxAddress> ReturnPathForAsync(DeliveryWork work, RecipientGroup group, CancellationToken cancellationToken)
    {
        if (_options.ReturnPathDomain is not { Length: > 0 } returnPathDomain)
        {
            return new MailboxAddress("", work.Envelope.Sender);
        }

        var keys = await returnPaths.GetAsync(cancellationToken);
        return new MailboxAddress("", ReturnPath.Encode(work.Envelope.Id, group.Recipients, group.Domain, returnPathDomain, keys.Key));
    }
}
