using System.Globalization;
using SendApi.Core.Messages;
using SendApi.Core.Messages.Stats;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Messages in Redis. Each state change is one script call (one round trip), so the accept path
/// costs one round trip per message and StackExchange.Redis pipelines concurrent requests. The
/// search indexes (<see cref="RedisSearchIndex"/>) and counters (<see cref="RedisStatsCounters"/>)
/// are written by the same scripts.
/// </summary>
internal sealed class RedisMessageStore(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider? time = null) : IMessageStore, IDeliveryQueue
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    // The embedded store forgets a message's Message-ID with the message. Here the index is written
    // at accept, when the finish (and so the record's expiry) is unknown: it lives twice the
    // retention, so that a reply finds the message it answers for as long as the message is readable.
    private static readonly TimeSpan MessageIdIndexLifetime = 2 * MessageLifetimes.Retention;

    private static readonly long RetentionSeconds = (long)MessageLifetimes.Retention.TotalSeconds;

    // Where the accept script's stats value count goes (ARGV[15]), known once the values are added.
    private const int StatsCountArg = 14;

    private IDatabase Db => redis.GetDatabase();

    public async Task<AcceptResult> AcceptAsync(NewMessage message, CancellationToken cancellationToken)
    {
        var db = Db;
        var (scriptKeys, args) = AcceptCall(message);
        SendMime(db, message, args);
        return AcceptResultOf(message, await db.EvaluateScriptAsync(RedisScripts.Accept, scriptKeys, args));
    }

    public async Task<IReadOnlyList<AcceptResult>> AcceptBatchAsync(IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        // One pipelined exchange: the scripts go out together and each runs atomically on its own,
        // each after its message's body.
        var batch = Db.CreateBatch();
        var calls = messages.Select(m =>
        {
            var (scriptKeys, args) = AcceptCall(m);
            SendMime(batch, m, args);
            return batch.ScriptEvaluateAsync(RedisScripts.Accept, scriptKeys, args);
        }).ToList();
        batch.Execute();
        var results = await Task.WhenAll(calls);
        return [.. results.Select((result, i) => AcceptResultOf(messages[i], result))];
    }

    private static AcceptResult AcceptResultOf(NewMessage message, RedisResult result)
    {
        var id = (string)result!;
        return new AcceptResult(id, Replayed: id != message.Envelope.Id);
    }

    /// <summary>
    /// Sends the message's MIME ahead of its accept script, on the same database or batch, when the
    /// script is to keep it (<see cref="RedisMimeBeside"/>; a finished message keeps none).
    /// </summary>
    private void SendMime(IDatabaseAsync db, NewMessage message, RedisValue[] acceptArgs)
    {
        if (RedisMimeBeside.IsSent(acceptArgs[RedisMimeBeside.FlagArg]))
        {
            RedisMimeBeside.Send(db, keys.Mime(message.Envelope.Id), message.Mime);
        }
    }

    /// <summary>The keys and arguments of the <see cref="RedisScripts.Accept"/> script for one message.</summary>
    private (RedisKey[] Keys, RedisValue[] Args) AcceptCall(NewMessage message)
    {
        var envelope = message.Envelope;
        var queued = new MessageEvent(MessageEventTypes.Queued, envelope.CreatedAt, null, $"{envelope.Recipients.Count} recipient(s)");
        var idempotencyKey = message.IdempotencyKey is null ? "" : keys.Idempotency(envelope.AccountId, message.IdempotencyKey);
        var states = message.StartingStates();
        var finished = states.All(s => s.Status.IsFinal());

        // A finished message keeps no body, so none of its variants either.
        var variants = finished ? MessageVariants.None : message.Variants;

        // Presized for a message with a few recipients (search fields, stats, states): no regrowth.
        var args = new List<RedisValue>(64 + RedisMessageFields.ValuesPerRecipient * envelope.Recipients.Count)
        {
            envelope.Id,
            finished ? "" : envelope.FirstDueAt.ToUnixTimeMilliseconds(),
            StorageJson.SerializeToUtf8(envelope),
            RedisMimeBeside.Flag(!finished),
            (long)MessageLifetimes.IdempotencyWindow.TotalSeconds,
            envelope.AccountId,
            RetentionSeconds,
            (long)MessageIdIndexLifetime.TotalSeconds,
            1 + message.InitialEvents.Count,
            2 * variants.Bodies.Count,
            keys.Prefix,
            RedisSearchIndex.Horizon(_time.GetUtcNow()),
            RedisSearchIndex.LifetimeSeconds,
            RedisStatsCounters.RetentionSeconds,
            0,
            StorageJson.SerializeToUtf8(queued),
        };
        args.AddRange(message.InitialEvents.Select(e => (RedisValue)StorageJson.SerializeToUtf8(e)));
        for (var k = 1; k <= variants.Bodies.Count; k++)
        {
            args.Add(k);
            args.Add(variants.Bodies[k - 1]);
        }

        var statsStart = args.Count;
        RedisStatsCounters.Add(args, StatsEvents.OfAccept(message));
        args[StatsCountArg] = args.Count - statsStart;

        // The search fields open the hash fields: the script reads them at fixed places.
        var status = MessageStatus.Of(states);
        RedisSearchIndex.AddFields(args, envelope, status);
        for (var i = 0; i < states.Length; i++)
        {
            RedisMessageFields.Add(args, i, states[i]);
        }

        RedisMessageFields.AddVariants(args, variants);

        RedisKey[] scriptKeys =
        [
            keys.Message(envelope.Id), keys.Events(envelope.Id), keys.Mime(envelope.Id), keys.Due, idempotencyKey, keys.WebhookAccounts, keys.WebhookOutbox,
            string.IsNullOrEmpty(envelope.MessageIdHeader) ? "" : keys.MessageIdHeader(envelope.AccountId, envelope.MessageIdHeader),
            variants.IsEmpty ? "" : keys.Variants(envelope.Id),
            .. RedisSearchIndex.KeysOf(keys, envelope, status),
        ];
        return (scriptKeys, [.. args]);
    }

    public async Task<string?> FindIdByMessageIdHeaderAsync(string accountId, string messageIdHeader, CancellationToken cancellationToken)
    {
        var id = await Db.StringGetAsync(keys.MessageIdHeader(accountId, messageIdHeader), flags: RedisReads.Primary);
        return id.IsNull ? null : (string?)id;
    }

    public async Task<StoredMessage?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var db = Db;
        var hashTask = db.HashGetAllAsync(keys.Message(id), flags: RedisReads.Primary);
        var eventsTask = db.ListRangeAsync(keys.Events(id), flags: RedisReads.Primary);
        var fields = await hashTask;
        var events = await eventsTask;
        if (!TryRead(fields, out var envelope, out var recipients, out _))
        {
            return null;
        }

        return new StoredMessage(envelope, recipients, [.. events.Select(e => StorageJson.Deserialize<MessageEvent>(e!))]);
    }

    public async Task<IReadOnlyList<string>> ClaimDueAsync(string claim, DateTimeOffset now, int max, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var result = await Db.EvaluateScriptAsync(
            RedisScripts.Claim,
            [keys.Due, keys.Claims],
            [now.ToUnixTimeMilliseconds(), max, leaseUntil.ToUnixTimeMilliseconds(), claim]);
        return [.. ((RedisResult[])result!).Select(r => (string)r!)];
    }

    public async Task<IReadOnlyList<string>> ReclaimAsync(string claim, IReadOnlyCollection<string> held, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        RedisValue[] args = [claim, leaseUntil.ToUnixTimeMilliseconds(), .. held.Select(id => (RedisValue)id)];
        var result = await Db.EvaluateScriptAsync(RedisScripts.Reclaim, [keys.Due, keys.Claims], args);
        return [.. ((RedisResult[])result!).Select(r => (string)r!)];
    }

    public async Task<IReadOnlyList<string>> RenewAsync(string claim, IReadOnlyList<string> ids, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        RedisValue[] args = [claim, leaseUntil.ToUnixTimeMilliseconds(), .. ids.Select(id => (RedisValue)id)];
        var result = await Db.EvaluateScriptAsync(RedisScripts.Renew, [keys.Due, keys.Claims], args);
        return [.. ((RedisResult[])result!).Select(r => (string)r!)];
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        var first = await Db.SortedSetRangeByRankWithScoresAsync(keys.Due, 0, 0, flags: RedisReads.Primary);
        return first.Length == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)first[0].Score);
    }

    public async Task<DeliveryWork?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        var db = Db;
        // From the primary (RedisReads): a lagging replica would show a just-accepted message as
        // missing, or its record without its body.
        var fieldsTask = db.HashGetAllAsync(keys.Message(id), RedisReads.Primary);
        // Leased rather than a new array: a 100 KB body was a large-object-heap array per delivery.
        var mimeTask = db.StringGetLeaseAsync(keys.Mime(id), RedisReads.Primary);
        try
        {
            await Task.WhenAll(fieldsTask, mimeTask);
        }
        catch
        {
            // The lease is the pool's, not the collector's.
            if (mimeTask.IsCompletedSuccessfully)
            {
                mimeTask.Result?.Dispose();
            }

            throw;
        }

        var fields = fieldsTask.Result;
        var mime = mimeTask.Result;
        if (!TryRead(fields, out var envelope, out var recipients, out var variantOfRecipient))
        {
            mime?.Dispose();
            return null;
        }

        var work = new DeliveryWork(envelope, recipients, mime is null ? ReadOnlyMemory<byte>.Empty : mime.Memory)
        {
            Buffer = mime,
            // The body goes only when the message is finished (Complete), in the same step as its states.
            BodyMissing = mime is null && recipients.Any(r => !r.Status.IsFinal()),
        };

        // Notes exist only where an attempt left a recipient in "sending" (it died or its record
        // failed): only such a message costs this read.
        if (recipients.Any(r => r.Status == RecipientStatus.Sending))
        {
            work = work with { Accepted = ReadAccepted(await db.HashGetAllAsync(keys.Accepted(id), RedisReads.Primary), recipients.Length) };
        }

        // Only a message with variants costs a second read; a finished one has no bodies left.
        if (variantOfRecipient.IsNull || mime is null)
        {
            return work;
        }

        var variants = await db.HashGetAllAsync(keys.Variants(id), RedisReads.Primary);
        // Written with the base body and dropped with it: without them (evicted) the message is
        // missing a body as surely as without its MIME.
        return variants.Length == 0
            ? work with { BodyMissing = work.BodyMissing || recipients.Any(r => !r.Status.IsFinal()) }
            : work with { Variants = ReadVariants(variants, variantOfRecipient, envelope) };
    }

    public async Task<ForgetOutcome> ForgetAsync(string claim, string id, DateTimeOffset dueIfFound, CancellationToken cancellationToken) =>
        (int)await Db.EvaluateScriptAsync(RedisScripts.Forget,
            [keys.Message(id), keys.Due, keys.Claims, keys.Mime(id), keys.Variants(id), keys.Accepted(id), keys.Events(id)],
            [claim, id, dueIfFound.ToUnixTimeMilliseconds()]) switch
        {
            1 => ForgetOutcome.Dropped,
            0 => ForgetOutcome.PutBack,
            _ => ForgetOutcome.NotHeld,
        };

    /// <summary>The noted remote 250s (fields: recipient index → delivered event JSON); a field that names no recipient is ignored.</summary>
    private static IReadOnlyDictionary<int, MessageEvent> ReadAccepted(HashEntry[] notes, int recipients)
    {
        if (notes.Length == 0)
        {
            return DeliveryWork.NoneAccepted;
        }

        var accepted = new Dictionary<int, MessageEvent>();
        foreach (var note in notes)
        {
            if (int.TryParse((string?)note.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < recipients)
            {
                accepted[index] = StorageJson.Deserialize<MessageEvent>(note.Value!);
            }
        }

        return accepted;
    }

    public async Task<bool> UpdateRecipientsAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, CancellationToken cancellationToken)
    {
        if (updates.Count == 0)
        {
            return true;
        }

        var args = new List<RedisValue>(2 + RedisMessageFields.ValuesPerRecipient * updates.Count) { claim, id };
        AddUpdates(args, updates);
        return (int)await Db.EvaluateScriptAsync(RedisScripts.Update, [keys.Message(id), keys.Claims], [.. args]) == 1;
    }

    public async Task CompleteAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, DateTimeOffset? nextDue, string? attempt, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(RecordingCapacity(5, updates, events))
        {
            claim,
            id,
            nextDue is { } due ? due.ToUnixTimeMilliseconds() : "",
            RetentionSeconds,
            attempt ?? "",
        };
        AddRecording(args, updates, events);

        await Db.EvaluateScriptAsync(RedisScripts.Complete,
            [keys.Message(id), keys.Events(id), keys.Due, keys.Claims, keys.Mime(id), keys.WebhookAccounts, keys.WebhookOutbox, keys.Variants(id), keys.Accepted(id)], [.. args]);
    }

    public void NoteAccepted(string id, IReadOnlyList<(int Recipient, MessageEvent Delivered)> accepted)
    {
        if (accepted.Count == 0)
        {
            return;
        }

        var args = new RedisValue[2 + 2 * accepted.Count];
        args[0] = id;
        args[1] = RetentionSeconds;
        for (var k = 0; k < accepted.Count; k++)
        {
            args[2 + 2 * k] = accepted[k].Recipient;
            args[3 + 2 * k] = StorageJson.SerializeToUtf8(accepted[k].Delivered);
        }

        try
        {
            // Fire-and-forget: the delivery path does not wait for it, and the multiplexer writes it
            // ahead of the attempt's Complete, which this process issues later on the same connection.
            _ = Db.ScriptEvaluateAsync(RedisScripts.NoteAccepted, [keys.Accepted(id), keys.Due], args, CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            // The store is away: the attempt's Complete will meet the outage too, and without the note
            // a takeover sends these recipients again, as it did before notes existed.
        }
    }

    public async Task<bool> RecordAsync(string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(RecordingCapacity(0, updates, events));
        AddRecording(args, updates, events);

        var result = await Db.EvaluateScriptAsync(RedisScripts.Record, [keys.Message(id), keys.Events(id), keys.WebhookAccounts, keys.WebhookOutbox], [.. args]);
        return (int)result == 1;
    }

    /// <summary>
    /// What Complete and Record both pass, in the order their scripts read it: the event count, the
    /// key prefix, the search index's horizon and lifetime, the stats retention, the events and what
    /// they count, then the recipient updates.
    /// </summary>
    private void AddRecording(List<RedisValue> args, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events)
    {
        args.AddRange(
        [
            events.Count,
            keys.Prefix,
            RedisSearchIndex.Horizon(_time.GetUtcNow()),
            RedisSearchIndex.LifetimeSeconds,
            RedisStatsCounters.RetentionSeconds,
        ]);
        AddEventsAndCounts(args, events);
        AddUpdates(args, updates);
    }

    // What AddRecording appends, roughly (the stats counters vary): enough that the list never regrows.
    private static int RecordingCapacity(int before, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events) =>
        before + 6 + events.Count * 5 + RedisMessageFields.ValuesPerRecipient * updates.Count;

    /// <summary>The stats value count, the events, then what they count.</summary>
    private static void AddEventsAndCounts(List<RedisValue> args, IReadOnlyList<MessageEvent> events)
    {
        var counts = new List<RedisValue>(events.Count * 4);
        RedisStatsCounters.Add(counts, StatsEvents.Of(events));
        args.Add(counts.Count);
        args.AddRange(events.Select(e => (RedisValue)StorageJson.SerializeToUtf8(e)));
        args.AddRange(counts);
    }

    private static void AddUpdates(List<RedisValue> args, IReadOnlyList<RecipientUpdate> updates)
    {
        foreach (var update in updates)
        {
            RedisMessageFields.Add(args, update.Index, update.State);
        }
    }

    /// <summary>
    /// Reads the JSON fields only (<c>account</c> and <c>s:{i}</c> are for the scripts), so records
    /// of every version read alike; <paramref name="variantOfRecipient"/> is null unless the message has variants.
    /// </summary>
    internal static bool TryRead(HashEntry[] fields, out MessageEnvelope envelope, out RecipientState[] recipients, out RedisValue variantOfRecipient)
    {
        envelope = null!;
        recipients = [];
        variantOfRecipient = RedisValue.Null;
        if (fields.Length == 0)
        {
            return false;
        }

        var byName = fields.ToDictionary(f => (string)f.Name!, f => f.Value, StringComparer.Ordinal);
        if (!byName.TryGetValue(RedisMessageFields.Envelope, out var env))
        {
            return false;
        }

        envelope = StorageJson.DeserializeUtf8<MessageEnvelope>(((ReadOnlyMemory<byte>)env).Span);
        recipients = new RecipientState[envelope.Recipients.Count];
        for (var i = 0; i < recipients.Length; i++)
        {
            recipients[i] = byName.TryGetValue(RedisMessageFields.State(i), out var state)
                ? StorageJson.DeserializeUtf8<RecipientState>(((ReadOnlyMemory<byte>)state).Span)
                : RecipientState.Queued(envelope.CreatedAt);
        }

        variantOfRecipient = byName.GetValueOrDefault(RedisMessageFields.Variants, RedisValue.Null);
        return true;
    }

    /// <summary>The variant bodies (fields "1".."k" of <see cref="RedisKeys.Variants"/>) and which recipient gets which.</summary>
    private static MessageVariants ReadVariants(HashEntry[] bodies, RedisValue variantOfRecipient, MessageEnvelope envelope)
    {
        var id = envelope.Id;
        var byNumber = new ReadOnlyMemory<byte>[bodies.Length];
        foreach (var body in bodies)
        {
            if (!int.TryParse((string?)body.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k < 1 || k > byNumber.Length)
            {
                throw new InvalidDataException($"Message {id}: its variants are not numbered 1..{byNumber.Length} (found '{body.Name}').");
            }

            byNumber[k - 1] = (byte[])body.Value!;
        }

        var assigned = StorageJson.Deserialize<int[]>(variantOfRecipient!);
        if (assigned.Length != envelope.Recipients.Count)
        {
            throw new InvalidDataException($"Message {id}: {assigned.Length} recipients have a variant, the envelope has {envelope.Recipients.Count}.");
        }

        try
        {
            return new MessageVariants(byNumber, assigned);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Message {id}: its recipients name variants it does not have ({ex.Message})", ex);
        }
    }
}
