using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Domains.Verification;
using SendApi.Api.Features.Suppressions;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Diagnostics;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Core.Suppressions;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// The one way a message comes in, whatever the channel (<c>POST /messages</c>, SMTP submission,
/// and every later one): complete it, hold it to the size limit, apply the suppression list,
/// check the From domain's verification, accept it in one atomic step, and wake delivery. A channel only composes or parses, then
/// words the <see cref="IntakeResult"/> in its protocol; it has no step of its own to remember.
/// A message with per-recipient bodies (<see cref="IncomingMessage.Variants"/>) takes the same
/// steps: each body is completed, written and held to the limit like the base. One that asks for
/// unsubscribe links or tracking gets a body per recipient first (<see cref="RecipientPersonalizer"/>).
/// The answer waits until the accept is as durable as <c>Storage__Durability</c> promises; when it
/// is not, <see cref="StorageNotDurableException"/> reaches the channel, which says "try again".
/// </summary>
internal sealed class MessageIntake(
    ISuppressionStore suppressions,
    IMessageStore messages,
    IWriteDurability durability,
    IDeliverySignal delivery,
    IIdempotencyKeys idempotencyKeys,
    SenderDomainStanding senderDomains,
    RecipientPersonalizer personalizer,
    IOptions<MessagesOptions> options,
    IOptions<DomainsOptions> domainOptions,
    SendApiMetrics metrics)
{
    private readonly MessagesOptions _options = options.Value;
    private readonly bool _requireVerified = domainOptions.Value.RequireVerified;

    public async Task<IntakeResult> AcceptAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        if (message is { IdempotencyKey: { } key, RequestFingerprint: { } fingerprint }
            && await idempotencyKeys.BindAsync(message.AccountId, key, fingerprint, cancellationToken) == IdempotencyBinding.OtherRequest)
        {
            return new IdempotencyKeyReused(key);
        }

        return (await AcceptAllAsync([message], cancellationToken))[0];
    }

    /// <summary>
    /// Several messages of one request (<c>POST /messages/batch</c>), each taking the steps of
    /// <see cref="AcceptAsync"/> on its own, with one suppression lookup and one store round trip
    /// for all of them. The request's Idempotency-Key is bound once, for the whole batch; each
    /// message carries its own key derived from it (<see cref="BatchIdempotency.ItemKey"/>), which
    /// the store deduplicates as it does a single message's.
    /// </summary>
    public async Task<BatchIntakeResult> AcceptBatchAsync(
        string accountId, IReadOnlyList<IncomingMessage> batch, string? idempotencyKey, string? fingerprint, CancellationToken cancellationToken)
    {
        var binding = idempotencyKey is null || fingerprint is null
            ? IdempotencyBinding.New
            : await idempotencyKeys.BindAsync(accountId, idempotencyKey, fingerprint, cancellationToken);
        if (binding == IdempotencyBinding.OtherRequest)
        {
            return new BatchIntakeResult(new IdempotencyKeyReused(idempotencyKey!), [], Replayed: false);
        }

        var results = batch.Count == 0 ? [] : await AcceptAllAsync(batch, cancellationToken);
        var replayed = binding == IdempotencyBinding.SameRequest || results.Any(r => r is MessageAccepted { Replayed: true });
        return new BatchIntakeResult(null, results, replayed);
    }

    private async Task<IReadOnlyList<IntakeResult>> AcceptAllAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        var results = new IntakeResult[batch.Count];
        var ready = new List<(int Index, NewMessage Message, string? Problem)>();
        var buffers = new List<MimeBuffer>();
        for (var i = 0; i < batch.Count; i++)
        {
            switch (await PrepareAsync(batch[i], cancellationToken))
            {
                case ({ } prepared, var problem, _, { } buffer):
                    ready.Add((i, prepared, problem));
                    buffers.Add(buffer);
                    break;
                case (_, _, { } refusal, _):
                    results[i] = refusal;
                    break;
            }
        }

        if (ready.Count == 0)
        {
            return results;
        }

        var marked = await SuppressedRecipients.MarkAllAsync(suppressions, [.. ready.Select(r => r.Message)], cancellationToken);
        var toStore = new NewMessage[marked.Count];
        for (var k = 0; k < marked.Count; k++)
        {
            // Sent all the same: a domain whose records are wrong still delivers, to some receivers'
            // spam folders, and the sender needs to see why rather than guess.
            toStore[k] = ready[k].Problem is { } problem
                ? marked[k] with { InitialEvents = [new MessageEvent(MessageEventTypes.Warning, marked[k].Envelope.CreatedAt, null, problem), .. marked[k].InitialEvents] }
                : marked[k];
        }

        var mark = durability.Mark();
        var accepted = toStore.Length == 1
            ? [await messages.AcceptAsync(toStore[0], cancellationToken)]
            : await messages.AcceptBatchAsync(toStore, cancellationToken);
        // Only after an answer: the store is done with the bytes (NewMessage.Mime). After a failure
        // a write may still be on its way out, so those buffers are left to the collector.
        buffers.ForEach(b => b.Dispose());
        // Also for a replay: its first submission may have been answered "not durable", and this
        // retry is what gets the acknowledgement.
        await durability.EnsureAsync(mark, cancellationToken);
        var replays = new List<(int Index, string Id)>();
        var created = false;
        for (var k = 0; k < accepted.Count; k++)
        {
            var (index, message) = (ready[k].Index, batch[ready[k].Index]);
            if (accepted[k].Replayed)
            {
                replays.Add((index, accepted[k].Id));
                continue;
            }

            created = true;
            metrics.MessageAccepted(message.Channel);
            results[index] = Accepted(accepted[k].Id, replayed: false, SuppressedRecipients.In(toStore[k]), message.Recipients.Count);
        }

        // Only now is there new work: wake this instance's delivery rather than wait for its poll.
        // A replay's message was queued, and delivery woken, by the first submission.
        if (created)
        {
            delivery.Notify();
        }

        // Read concurrently: StackExchange.Redis pipelines them, so a replayed batch is not one
        // round trip per message either.
        var firsts = await Task.WhenAll(replays.Select(r => AsFirstRecordedAsync(r.Id, cancellationToken)));
        for (var k = 0; k < replays.Count; k++)
        {
            results[replays[k].Index] = firsts[k];
        }

        return results;
    }

    /// <summary>
    /// Completes and writes one message, holds it to the size limit and checks its From domain:
    /// the message ready for the suppression list and the store (with the domain's problem, if any,
    /// for a warning event) and the buffer its MIME is in, or the refusal.
    /// </summary>
    private async Task<(NewMessage? Message, string? DomainProblem, IntakeResult? Refusal, MimeBuffer? Buffer)> PrepareAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        var key = message.Key ?? throw new ArgumentException($"Message {message.Id} has no sending key (IncomingMessage.Key): its channel must set it.", nameof(message));
        var fromDomain = Delivery.Dkim.DkimDomains.FromDomain(message.Mime);
        if (!key.MaySendAs(fromDomain))
        {
            DisposeMime(message);
            return (null, null, new SenderDomainNotAllowedForKey(
                $"This API key may send only as {string.Join(", ", key.Domains)}; the From header {(fromDomain is null ? "does not name one domain" : $"is at {fromDomain}")}."), null);
        }

        var messageIdHeader = Complete(message);
        var (buffer, variants) = await WriteAllAsync(message, cancellationToken);
        var mime = buffer.Written;
        var largest = variants.IsEmpty ? mime.Length : Math.Max(mime.Length, variants.Bodies.Max(b => (long)b.Length));
        if ((message.SentOctets ?? largest) > _options.MaxSizeBytes)
        {
            buffer.Dispose();
            return (null, null, new MessageTooLarge(largest, _options.MaxSizeBytes), null);
        }

        var standing = await senderDomains.CheckAsync(message.AccountId, fromDomain, cancellationToken);
        if (_requireVerified && !standing.Verified)
        {
            buffer.Dispose();
            return (null, null, new SenderDomainNotVerified(RefusalReason(standing)), null);
        }

        return (new NewMessage(Envelope(message, messageIdHeader, mime) with { KeyId = key.KeyId, Sandbox = key.Sandbox }, mime, message.IdempotencyKey) { Variants = variants }, standing.Problem, null, buffer);
    }

    /// <summary>
    /// Writes every body of the message, the base and each variant, personalized first (last of
    /// all changes, so that it works on whatever each recipient would receive, a template's variant
    /// too; a message without unsubscribe or tracking passes as it is). Then its MIME objects have
    /// done their work, and the intake is the last to read them, whatever the channel: they are
    /// disposed here. A MimeKit message, part and content each have a finalizer, so one left to the
    /// collector survives its first collection with everything it holds: at 500 messages/s that
    /// was 8.5 MB promoted by every gen1 collection, most of what each 20-25 ms pause marked and
    /// copied (docs/performance.md, session 13).
    /// </summary>
    private async Task<(MimeBuffer Base, MessageVariants Variants)> WriteAllAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        var personalized = message;
        try
        {
            personalized = await personalizer.PersonalizeAsync(message, cancellationToken);
            var variantOfRecipient = VariantOfRecipient(personalized);
            var buffer = await WriteAsync(personalized.Mime, cancellationToken);
            return (buffer, await WriteVariantsAsync(personalized, variantOfRecipient, cancellationToken));
        }
        finally
        {
            DisposeMime(message);
            if (!ReferenceEquals(personalized, message))
            {
                // The personalizer's copies, one per recipient; the base is the message's own.
                foreach (var variant in personalized.Variants)
                {
                    variant.Mime.Dispose();
                }
            }
        }
    }

    private static void DisposeMime(IncomingMessage message)
    {
        message.Mime.Dispose();
        foreach (var variant in message.Variants)
        {
            variant.Mime.Dispose();
        }
    }

    private static string RefusalReason(DomainStanding standing) => standing switch
    {
        { Domain: null } => "The From header must name addresses at one domain, a verified sender domain of this account (Domains:RequireVerified is set).",
        { Registered: false } => $"{standing.Domain} is not a sender domain of this account; register it (POST /domains) and verify it (Domains:RequireVerified is set).",
        _ => (standing.Problem ?? $"{standing.Domain} is not verified.") + " Domains:RequireVerified is set, so its mail is refused.",
    };

    /// <summary>
    /// Every accepted message has a Message-ID (replies find their message by it) and a Date. A
    /// composed message has both; a submitted one gets ours when the client left them out.
    /// </summary>
    /// <returns>The Message-ID, without angle brackets.</returns>
    private string Complete(IncomingMessage message)
    {
        if (string.IsNullOrEmpty(message.Mime.MessageId))
        {
            message.Mime.MessageId = $"{message.Id}@{_options.MessageIdDomain}";
        }

        if (!message.Mime.Headers.Contains(HeaderId.Date))
        {
            message.Mime.Date = message.ReceivedAt;
        }

        // One message, whichever body a recipient receives: a reply to any of them finds it by
        // its Message-ID, and all of them were written at the same time.
        foreach (var variant in message.Variants)
        {
            variant.Mime.MessageId = message.Mime.MessageId;
            variant.Mime.Date = message.Mime.Date;
        }

        return message.Mime.MessageId;
    }

    /// <summary>
    /// Each recipient's variant (0 = the base), or null without variants. A variant's recipients
    /// come from code that renders per recipient, not from a client: a wrong index is a bug there.
    /// </summary>
    /// <exception cref="ArgumentException">A variant names no recipient, one that does not exist, or one another variant names.</exception>
    private static int[]? VariantOfRecipient(IncomingMessage message)
    {
        if (message.Variants.Count == 0)
        {
            return null;
        }

        var variantOf = new int[message.Recipients.Count];
        for (var k = 1; k <= message.Variants.Count; k++)
        {
            var recipients = message.Variants[k - 1].Recipients;
            if (recipients.Count == 0)
            {
                throw new ArgumentException($"Variant {k} of message {message.Id} names no recipient.", nameof(message));
            }

            foreach (var index in recipients)
            {
                if (index < 0 || index >= variantOf.Length)
                {
                    throw new ArgumentException($"Variant {k} of message {message.Id} names recipient {index}; the message has {variantOf.Length}.", nameof(message));
                }

                if (variantOf[index] != 0)
                {
                    throw new ArgumentException($"Recipient {index} of message {message.Id} is in variants {variantOf[index]} and {k}; a recipient receives one body.", nameof(message));
                }

                variantOf[index] = k;
            }
        }

        return variantOf;
    }

    private static async Task<MessageVariants> WriteVariantsAsync(IncomingMessage message, int[]? variantOfRecipient, CancellationToken cancellationToken)
    {
        if (variantOfRecipient is null)
        {
            return MessageVariants.None;
        }

        // Not pooled: few messages have variants, and their bodies live on in a MessageVariants.
        var bodies = new ReadOnlyMemory<byte>[message.Variants.Count];
        for (var k = 0; k < bodies.Length; k++)
        {
            var buffer = new MemoryStream(MimeSizes.Estimate(message.Variants[k].Mime));
            await message.Variants[k].Mime.WriteToAsync(StoredForm.Options, buffer, cancellationToken);
            bodies[k] = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        }

        return new MessageVariants(bodies, variantOfRecipient);
    }

    /// <summary>
    /// The exact bytes that are stored, signed and delivered (<see cref="StoredForm"/>): written
    /// once into a pooled buffer sized for them (<see cref="MimeBuffer"/>) and handed on as they
    /// are. A growing MemoryStream and its ToArray copied a 100 KB body about four times over (a
    /// third of what a 100 KB message allocated, by an allocation profile).
    /// </summary>
    private static async Task<MimeBuffer> WriteAsync(MimeMessage mime, CancellationToken cancellationToken)
    {
        var buffer = new MimeBuffer(MimeSizes.Estimate(mime));
        try
        {
            await mime.WriteToAsync(StoredForm.Options, buffer, cancellationToken);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static MessageEnvelope Envelope(IncomingMessage message, string messageIdHeader, ReadOnlyMemory<byte> mime) =>
        new(message.Id,
            message.AccountId,
            message.Sender,
            message.From,
            message.Subject,
            message.Recipients,
            message.Tags,
            message.Metadata,
            message.ReceivedAt,
            messageIdHeader,
            mime.Length,
            message.ScheduledAt);

    /// <summary>
    /// A replay answers for the first message, whose list may have been different: report what it
    /// recorded ("suppressed" is final, so it still holds).
    /// </summary>
    private async Task<MessageAccepted> AsFirstRecordedAsync(string id, CancellationToken cancellationToken) =>
        await messages.FindAsync(id, cancellationToken) is { } first
            ? Accepted(id, replayed: true, SuppressedRecipients.In(first), first.Envelope.Recipients.Count)
            : Accepted(id, replayed: true, [], 0);

    private static MessageAccepted Accepted(string id, bool replayed, IReadOnlyList<string> suppressed, int recipients) =>
        new(id, replayed, suppressed, recipients > 0 && suppressed.Count == recipients ? MessageStatus.Suppressed : MessageStatus.Queued);
}
