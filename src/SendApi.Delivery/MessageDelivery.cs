using System.Runtime.InteropServices;
using DnsClient;
using MimeKit;
using SendApi.Core.Messages;
using SendApi.Delivery.Routing;
using SendApi.Delivery.Transport;

namespace SendApi.Delivery;

/// <summary>What one delivery attempt of a message produced, ready to be recorded.</summary>
internal sealed record AttemptOutcome(IReadOnlyList<RecipientUpdate> Updates, IReadOnlyList<MessageEvent> Events, DateTimeOffset? NextDue);

/// <summary>
/// One attempt at one message: the recipients that are due, grouped by domain; per domain the MX
/// hosts in order until one answers; each recipient's reply turned into its next state.
/// </summary>
internal sealed class MessageDelivery(MxResolver resolver, SmtpTransport transport, RetryPolicy retry, TimeProvider time)
{
    /// <summary>Recipients to attempt now: not final and due (a "sending" left over from a dead worker is due too).</summary>
    public static IReadOnlyList<int> DueRecipients(DeliveryWork work, DateTimeOffset now) =>
        [.. Enumerable.Range(0, work.Recipients.Count).Where(i =>
            !work.Recipients[i].Status.IsFinal() && (work.Recipients[i].NextAttemptAt is null || work.Recipients[i].NextAttemptAt <= now))];

    public async Task<AttemptOutcome> AttemptAsync(DeliveryWork work, IReadOnlyList<int> due, CancellationToken cancellationToken)
    {
        var message = Parse(work.Mime);
        var sender = new MailboxAddress("", work.Envelope.Sender);
        var updates = new List<RecipientUpdate>();
        var events = new List<MessageEvent>();

        foreach (var domain in due.GroupBy(i => work.Envelope.Recipients[i].Domain))
        {
            var indices = domain.ToList();
            var (replies, via) = await DeliverToDomainAsync(domain.Key, message, sender,
                [.. indices.Select(i => new MailboxAddress("", work.Envelope.Recipients[i].Address))], cancellationToken);
            for (var k = 0; k < indices.Count; k++)
            {
                Record(work, indices[k], replies[k], via, updates, events);
            }
        }

        var states = work.Recipients.ToArray();
        foreach (var update in updates)
        {
            states[update.Index] = update.State;
        }

        var nextDue = states.Where(s => !s.Status.IsFinal()).Select(s => s.NextAttemptAt).Min();
        return new AttemptOutcome(updates, events, nextDue);
    }

    private async Task<(IReadOnlyList<SmtpReply> Replies, string? Via)> DeliverToDomainAsync(
        string domain, MimeMessage message, MailboxAddress sender, IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        var resolution = await resolver.ResolveAsync(domain, cancellationToken);
        if (resolution is MxResolution.Failure failure)
        {
            return (Same(failure.Reply, recipients.Count), null);
        }

        var hosts = ((MxResolution.Hosts)resolution).List;
        SmtpReply? last = null;
        foreach (var host in hosts)
        {
            IReadOnlyList<System.Net.IPAddress> addresses;
            try
            {
                addresses = await resolver.AddressesAsync(host.Name, cancellationToken);
            }
            catch (DnsResponseException ex)
            {
                last = new SmtpReply(451, "4.4.3", $"Address lookup for {host.Name} failed: {ex.Message}");
                continue;
            }

            if (addresses.Count == 0)
            {
                last = host.Implicit
                    ? new SmtpReply(550, "5.1.2", $"Domain {domain} has neither MX nor address records")
                    : new SmtpReply(451, "4.4.3", $"MX host {host.Name} has no address records");
                continue;
            }

            foreach (var address in addresses)
            {
                var result = await transport.SendAsync(host.Name, address, message, sender, recipients, cancellationToken);
                if (result is TransportResult.Answered answered)
                {
                    return (answered.Replies, answered.Via);
                }

                last = ((TransportResult.HostUnavailable)result).Reply;
            }
        }

        // Every host failed. A single implicit MX without addresses is a permanent "no such domain";
        // anything else (refused connections, greetings) may heal, so it is retried.
        var reply = last is { IsPermanent: true } && hosts.Count == 1 && hosts[0].Implicit
            ? last
            : new SmtpReply(451, "4.4.1", $"No MX host of {domain} accepted a connection; last: {last}");
        return (Same(reply, recipients.Count), null);
    }

    private void Record(DeliveryWork work, int index, SmtpReply reply, string? via, List<RecipientUpdate> updates, List<MessageEvent> events)
    {
        var now = time.GetUtcNow();
        var address = work.Envelope.Recipients[index].Address;
        var attempts = work.Recipients[index].Attempts + 1;
        RecipientState state;
        MessageEvent evt;
        if (reply.IsPositive)
        {
            state = new RecipientState(RecipientStatus.Delivered, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Delivered, now, address, $"{reply} (via {via})", reply, via);
        }
        else if (reply.IsPermanent)
        {
            state = new RecipientState(RecipientStatus.Failed, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Failed, now, address, reply.ToString(), reply, via);
        }
        else if (retry.NextAttempt(work.Envelope.CreatedAt, attempts, now) is { } next)
        {
            state = new RecipientState(RecipientStatus.Deferred, attempts, reply, next, now);
            evt = new MessageEvent(MessageEventTypes.Deferred, now, address, $"{reply}; next attempt at {next:yyyy-MM-ddTHH:mm:ssZ}", reply, via);
        }
        else
        {
            state = new RecipientState(RecipientStatus.Failed, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Failed, now, address,
                $"Gave up after {attempts} attempt(s), the message is older than Delivery:MaxAge ({retry.MaxAge}); last reply: {reply}", reply, via);
        }

        updates.Add(new RecipientUpdate(index, state));
        events.Add(evt);
    }

    private static SmtpReply[] Same(SmtpReply reply, int count) => Enumerable.Repeat(reply, count).ToArray();

    private static MimeMessage Parse(ReadOnlyMemory<byte> mime)
    {
        var stream = MemoryMarshal.TryGetArray(mime, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(mime.ToArray(), writable: false);
        using (stream)
        {
            return MimeMessage.Load(stream);
        }
    }
}
