using SendApi.Core.Messages;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// The behaviour both storage modes must share: acceptance, idempotency, and the claim/lease
/// protocol that keeps a message with one worker at a time and brings it back when a worker dies.
/// </summary>
public abstract class MessageStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract (IMessageStore Messages, IDeliveryQueue Queue) CreateStore();

    private static NewMessage Message(string account = "acct", string? idempotencyKey = null, int recipients = 2)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, account, "a@acme.test", "A <a@acme.test>", "subject",
            [.. Enumerable.Range(0, recipients).Select(i => new RecipientAddress($"r{i}@example.test", RecipientKind.To))],
            ["tag"], new Dictionary<string, string> { ["k"] = "v" }, T0, $"{id}@sendapi.test", 3);
        return new NewMessage(envelope, "abc"u8.ToArray(), idempotencyKey);
    }

    /// <summary>Three recipients: r0 the base, r1 and r2 one variant each.</summary>
    private static NewMessage WithVariants(int recipients = 3) =>
        Message(recipients: recipients) with
        {
            Variants = new MessageVariants(["variant one"u8.ToArray(), "variant two"u8.ToArray()], [0, .. Enumerable.Range(1, recipients - 1).Select(i => 1 + ((i - 1) % 2))]),
        };

    [Fact]
    public async Task Accepted_message_is_queued_with_its_first_event()
    {
        var (messages, queue) = CreateStore();
        var message = Message();
        var result = await messages.AcceptAsync(message, default);

        Assert.False(result.Replayed);
        var stored = await messages.FindAsync(result.Id, default);
        Assert.NotNull(stored);
        Assert.Equal(message.Envelope, stored.Envelope with { Recipients = message.Envelope.Recipients, Tags = message.Envelope.Tags, Metadata = message.Envelope.Metadata });
        Assert.Equal(["r0@example.test", "r1@example.test"], stored.Envelope.Recipients.Select(r => r.Address));
        Assert.All(stored.Recipients, r => Assert.Equal(RecipientStatus.Queued, r.Status));
        Assert.Equal(MessageEventTypes.Queued, Assert.Single(stored.Events).Type);
        Assert.Equal("abc"u8.ToArray(), (await queue.LoadAsync(result.Id, default))!.Mime.ToArray());
    }

    [Fact]
    public async Task A_message_is_found_by_its_Message_ID_header_within_its_account_only()
    {
        var (messages, _) = CreateStore();
        var message = Message();
        await messages.AcceptAsync(message, default);

        Assert.Equal(message.Envelope.Id, await messages.FindIdByMessageIdHeaderAsync("acct", message.Envelope.MessageIdHeader, default));
        Assert.Null(await messages.FindIdByMessageIdHeaderAsync("other", message.Envelope.MessageIdHeader, default));
        Assert.Null(await messages.FindIdByMessageIdHeaderAsync("acct", "unknown@sendapi.test", default));
    }

    [Fact]
    public async Task Same_idempotency_key_in_the_same_account_replays_the_first_message()
    {
        var (messages, _) = CreateStore();
        var key = Guid.NewGuid().ToString();
        var first = await messages.AcceptAsync(Message(idempotencyKey: key), default);
        var second = await messages.AcceptAsync(Message(idempotencyKey: key), default);
        var otherAccount = await messages.AcceptAsync(Message(account: "other", idempotencyKey: key), default);

        Assert.True(second.Replayed);
        Assert.Equal(first.Id, second.Id);
        Assert.False(otherAccount.Replayed);
        Assert.NotEqual(first.Id, otherAccount.Id);
    }

    [Fact]
    public async Task A_scheduled_message_is_due_at_its_time_not_before_and_its_recipients_wait_for_it()
    {
        var (messages, queue) = CreateStore();
        var message = Message();
        var at = T0.AddHours(2);
        var id = (await messages.AcceptAsync(message with { Envelope = message.Envelope with { ScheduledAt = at } }, default)).Id;

        Assert.Equal(at, await queue.NextDueAsync(default));
        Assert.Empty(await queue.ClaimDueAsync("early", at.AddMilliseconds(-1), 100, at.AddMinutes(2), default));
        Assert.Equal([id], await queue.ClaimDueAsync("on-time", at, 100, at.AddMinutes(2), default));
        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal(at, stored.Envelope.ScheduledAt);
        Assert.All(stored.Recipients, r => Assert.Equal((RecipientStatus.Queued, at), (r.Status, r.NextAttemptAt)));
    }

    [Fact]
    public async Task A_claimed_message_is_not_claimed_again_until_its_lease_runs_out()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;

        var first = await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        Assert.Contains(id, first);
        Assert.DoesNotContain(id, await queue.ClaimDueAsync("c2", T0.AddMinutes(1), 100, T0.AddMinutes(3), default));

        // The first worker died: after the lease the message is due again and a new claim wins it.
        var second = await queue.ClaimDueAsync("c3", T0.AddMinutes(2), 100, T0.AddMinutes(4), default);
        Assert.Contains(id, second);
        Assert.Empty(await queue.RenewAsync("c1", [id], T0.AddMinutes(5), default));
        Assert.Equal([id], await queue.RenewAsync("c3", [id], T0.AddMinutes(5), default));
    }

    [Fact]
    public async Task Forgetting_a_message_whose_record_the_store_still_holds_puts_it_back_rather_than_dropping_it()
    {
        // What a delivery job does when its load found no record: a read from a replica that had
        // not caught up must not drop an accepted message from the queue.
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);

        Assert.Equal(ForgetOutcome.PutBack, await queue.ForgetAsync("c1", id, T0.AddMinutes(1), default));
        Assert.DoesNotContain(id, await queue.ClaimDueAsync("c2", T0.AddSeconds(59), 100, T0.AddMinutes(3), default));
        Assert.Contains(id, await queue.ClaimDueAsync("c3", T0.AddMinutes(1), 100, T0.AddMinutes(3), default));

        // The claim it held is gone, and a stale job changes nothing.
        Assert.Equal(ForgetOutcome.NotHeld, await queue.ForgetAsync("c1", id, T0.AddMinutes(1), default));
        Assert.Equal([id], await queue.RenewAsync("c3", [id], T0.AddMinutes(4), default));
        var work = (await queue.LoadAsync(id, default))!;
        Assert.False(work.BodyMissing);
        Assert.Equal("abc"u8.ToArray(), work.Mime.ToArray());
        work.Buffer?.Dispose();
    }

    [Fact]
    public async Task Reclaiming_finds_what_a_claim_took_that_its_job_does_not_hold_and_renews_its_lease()
    {
        // A claim whose reply was lost: the store took the messages under "c1", the job never learnt which.
        var (messages, queue) = CreateStore();
        for (var i = 0; i < 4; i++)
        {
            await messages.AcceptAsync(Message(), default);
        }

        var firstClaim = await queue.ClaimDueAsync("c1", T0, 2, T0.AddMinutes(2), default);
        var (lost, held) = (firstClaim[0], firstClaim[1]);
        Assert.Equal(2, (await queue.ClaimDueAsync("c2", T0, 100, T0.AddMinutes(2), default)).Count);

        Assert.Equal([lost], await queue.ReclaimAsync("c1", [held], T0.AddMinutes(5), default));

        // Its lease now runs to the new end: the others are due again when theirs lapses, it is not.
        var third = await queue.ClaimDueAsync("c3", T0.AddMinutes(4), 100, T0.AddMinutes(6), default);
        Assert.Equal(3, third.Count);
        Assert.DoesNotContain(lost, third);
        Assert.Equal([lost], await queue.RenewAsync("c1", [lost], T0.AddMinutes(5), default));

        // A finished message is not found again; a claim that holds all it took finds nothing, nor one that took nothing.
        await queue.CompleteAsync("c3", third[0], [], [], null, null, default);
        Assert.Equal([third[2]], await queue.ReclaimAsync("c3", [third[1]], T0.AddMinutes(7), default));
        Assert.Empty(await queue.ReclaimAsync("c3", [third[1], third[2]], T0.AddMinutes(7), default));
        Assert.Empty(await queue.ReclaimAsync("c9", [], T0.AddMinutes(7), default));
    }

    [Fact]
    public async Task Recording_an_attempt_again_under_its_name_changes_nothing()
    {
        // A delivery job retries a Complete whose reply was lost: the first try was carried out.
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(recipients: 1), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var ok = new SmtpReply(250, "2.0.0", "ok");
        RecipientUpdate[] delivered = [new RecipientUpdate(0, new RecipientState(RecipientStatus.Delivered, 1, ok, null, T0))];
        MessageEvent[] events = [new MessageEvent(MessageEventTypes.Delivered, T0, "r0@example.test", "250", ok)];

        await queue.CompleteAsync("c1", id, delivered, events, null, "attempt-1", default);
        await queue.CompleteAsync("c1", id, delivered, events, null, "attempt-1", default);

        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Delivered], stored.Events.Select(e => e.Type));
        Assert.Equal(RecipientStatus.Delivered, stored.Recipients[0].Status);

        // Another attempt's events are recorded (a later bounce-like outcome from a newer claim, say).
        var id2 = (await messages.AcceptAsync(Message(recipients: 1), default)).Id;
        await queue.ClaimDueAsync("c2", T0, 100, T0.AddMinutes(2), default);
        var later = new SmtpReply(451, "4.3.0", "later");
        await queue.CompleteAsync("c2", id2, [], [new MessageEvent(MessageEventTypes.Deferred, T0, "r0@example.test", "451", later)], T0.AddMinutes(1), "attempt-2", default);
        Assert.Contains(id2, await queue.ClaimDueAsync("c3", T0.AddMinutes(1), 100, T0.AddMinutes(3), default));
        await queue.CompleteAsync("c3", id2, [], [new MessageEvent(MessageEventTypes.Deferred, T0, "r0@example.test", "451", later)], T0.AddMinutes(2), "attempt-3", default);
        Assert.Equal(3, (await messages.FindAsync(id2, default))!.Events.Count);
    }

    [Fact]
    public async Task Completing_schedules_the_next_attempt_or_removes_the_message()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);

        var reply = new SmtpReply(451, "4.3.0", "later");
        var next = T0.AddMinutes(5);
        await queue.CompleteAsync("c1", id,
            [new RecipientUpdate(0, new RecipientState(RecipientStatus.Deferred, 1, reply, next, T0)),
             new RecipientUpdate(1, new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0))],
            [new MessageEvent(MessageEventTypes.Deferred, T0, "r0@example.test", "451", reply)], next, null, default);

        Assert.DoesNotContain(id, await queue.ClaimDueAsync("c2", T0.AddMinutes(4), 100, T0.AddMinutes(6), default));
        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal([RecipientStatus.Deferred, RecipientStatus.Delivered], stored.Recipients.Select(r => r.Status));
        Assert.Equal(reply, stored.Recipients[0].LastReply);
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Deferred], stored.Events.Select(e => e.Type));

        Assert.Contains(id, await queue.ClaimDueAsync("c3", T0.AddMinutes(5), 100, T0.AddMinutes(7), default));
        await queue.CompleteAsync("c3", id,
            [new RecipientUpdate(0, new RecipientState(RecipientStatus.Delivered, 2, new SmtpReply(250, "2.0.0", "ok"), null, T0))],
            [], null, null, default);
        Assert.DoesNotContain(id, await queue.ClaimDueAsync("c4", T0.AddDays(1), 100, T0.AddDays(2), default));
        Assert.Equal(MessageStatus.Delivered, MessageStatus.Of((await messages.FindAsync(id, default))!.Recipients));
    }

    [Fact]
    public async Task A_stale_claim_records_its_events_but_leaves_states_and_queue_to_the_new_claim()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(recipients: 1), default)).Id;
        await queue.ClaimDueAsync("old", T0, 100, T0.AddMinutes(2), default);
        await queue.ClaimDueAsync("new", T0.AddMinutes(3), 100, T0.AddMinutes(5), default);

        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, null, "ok"), null, T0);
        Assert.True(await queue.UpdateRecipientsAsync("new", id, [new RecipientUpdate(0, delivered)], default));
        Assert.False(await queue.UpdateRecipientsAsync("old", id, [new RecipientUpdate(0, delivered with { Status = RecipientStatus.Sending })], default));
        await queue.CompleteAsync("old", id,
            [new RecipientUpdate(0, new RecipientState(RecipientStatus.Deferred, 1, new SmtpReply(451, null, "later"), T0.AddHours(1), T0))],
            [new MessageEvent(MessageEventTypes.Deferred, T0, "r0@example.test", "451 later")], T0.AddHours(1), null, default);

        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal(RecipientStatus.Delivered, stored.Recipients[0].Status);
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Deferred], stored.Events.Select(e => e.Type));
        Assert.Equal([id], await queue.RenewAsync("new", [id], T0.AddMinutes(6), default));
    }

    [Fact]
    public async Task Later_evidence_on_a_finished_message_updates_a_recipient_and_appends_events_without_a_claim()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0);
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)], [], null, null, default);

        var bounce = new SmtpReply(550, "5.1.1", "User unknown");
        var bounced = delivered with { Status = RecipientStatus.Bounced, LastReply = bounce, UpdatedAt = T0.AddMinutes(10) };
        Assert.True(await messages.RecordAsync(id,
            [new RecipientUpdate(1, bounced)],
            [new MessageEvent(MessageEventTypes.Bounced, T0.AddMinutes(10), "r1@example.test", "hard bounce: 5.1.1", bounce),
             new MessageEvent(MessageEventTypes.Complained, T0.AddMinutes(11), "r0@example.test", "feedback: abuse")], default));

        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Bounced], stored.Recipients.Select(r => r.Status));
        Assert.Equal(bounce, stored.Recipients[1].LastReply);
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Bounced, MessageEventTypes.Complained], stored.Events.Select(e => e.Type));
        Assert.Equal(bounce, stored.Events[1].Reply);

        // Evidence is not an attempt: the finished message does not come back into the queue.
        Assert.Null(await queue.NextDueAsync(default));
        Assert.Empty(await queue.ClaimDueAsync("c2", T0.AddDays(1), 100, T0.AddDays(2), default));
    }

    [Fact]
    public async Task A_bounce_recorded_while_the_attempt_still_holds_the_message_is_not_overwritten_by_it()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);

        // A fast relay said 250 and its DSN came back before the attempt was written.
        var bounce = new SmtpReply(550, "5.1.1", "User unknown");
        var bounced = new RecipientState(RecipientStatus.Bounced, 1, bounce, null, T0.AddSeconds(1));
        Assert.True(await messages.RecordAsync(id, [new RecipientUpdate(0, bounced)], [new MessageEvent(MessageEventTypes.Bounced, T0.AddSeconds(1), "r0@example.test", "hard bounce")], default));
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0);
        Assert.True(await queue.UpdateRecipientsAsync("c1", id, [new RecipientUpdate(0, delivered)], default));
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)],
            [new MessageEvent(MessageEventTypes.Delivered, T0, "r0@example.test", "250")], null, null, default);

        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal([RecipientStatus.Bounced, RecipientStatus.Delivered], stored.Recipients.Select(r => r.Status));
        Assert.Equal(bounce, stored.Recipients[0].LastReply);
    }

    public static TheoryData<RecipientStatus> EveryStatus => [.. Enum.GetValues<RecipientStatus>()];

    /// <summary>The one rule (<see cref="RecipientTransitions"/>) holds in every store, for every state evidence can leave.</summary>
    [Theory]
    [MemberData(nameof(EveryStatus))]
    public async Task A_late_attempt_replaces_a_state_left_by_evidence_only_where_the_transition_rule_allows(RecipientStatus evidence)
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var recorded = new RecipientState(evidence, 1, new SmtpReply(550, "5.1.1", "evidence"), null, T0.AddSeconds(1));
        Assert.True(await messages.RecordAsync(id, [new RecipientUpdate(0, recorded), new RecipientUpdate(1, recorded)], [], default));

        var sending = new RecipientState(RecipientStatus.Sending, 1, null, null, T0);
        Assert.True(await queue.UpdateRecipientsAsync("c1", id, [new RecipientUpdate(0, sending)], default));
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0);
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(1, delivered)], [], null, null, default);

        var stored = (await messages.FindAsync(id, default))!;
        var replaceable = RecipientTransitions.AttemptMayReplace(evidence);
        Assert.Equal(replaceable ? sending : recorded, stored.Recipients[0]);
        Assert.Equal(replaceable ? delivered : recorded, stored.Recipients[1]);
    }

    [Fact]
    public async Task Evidence_for_a_message_not_stored_is_refused_and_creates_nothing()
    {
        var (messages, _) = CreateStore();
        var id = MessageIds.New();

        Assert.False(await messages.RecordAsync(id,
            [new RecipientUpdate(0, RecipientState.Queued(T0) with { Status = RecipientStatus.Bounced })],
            [new MessageEvent(MessageEventTypes.Bounced, T0, "r0@example.test", "hard bounce")], default));
        Assert.Null(await messages.FindAsync(id, default));
    }

    [Fact]
    public async Task A_finished_message_keeps_its_history_but_not_its_body()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(recipients: 1), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        await queue.CompleteAsync("c1", id,
            [new RecipientUpdate(0, new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, null, "ok"), null, T0))], [], null, null, default);

        Assert.NotNull(await messages.FindAsync(id, default));
        Assert.True((await queue.LoadAsync(id, default))!.Mime.IsEmpty);
    }

    [Fact]
    public async Task Recipients_accepted_in_a_final_state_are_recorded_with_their_events_and_the_rest_stay_queued()
    {
        var (messages, queue) = CreateStore();
        var suppressed = new RecipientState(RecipientStatus.Suppressed, 0, null, null, T0);
        var message = Message(recipients: 2) with
        {
            InitialStates = [new RecipientUpdate(1, suppressed)],
            InitialEvents = [new MessageEvent(MessageEventTypes.Suppressed, T0, "r1@example.test", "On the suppression list: manual")],
        };
        var id = (await messages.AcceptAsync(message, default)).Id;

        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal([RecipientStatus.Queued, RecipientStatus.Suppressed], stored.Recipients.Select(r => r.Status));
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Suppressed], stored.Events.Select(e => e.Type));
        Assert.Equal("r1@example.test", stored.Events[1].Recipient);
        Assert.Equal(MessageStatus.Queued, MessageStatus.Of(stored.Recipients));
        Assert.Contains(id, await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default));
        Assert.Equal("abc"u8.ToArray(), (await queue.LoadAsync(id, default))!.Mime.ToArray());
    }

    [Fact]
    public async Task A_message_whose_every_recipient_is_final_at_accept_is_finished_and_never_queued()
    {
        var (messages, queue) = CreateStore();
        var suppressed = new RecipientState(RecipientStatus.Suppressed, 0, null, null, T0);
        var message = Message(recipients: 2) with
        {
            InitialStates = [new RecipientUpdate(0, suppressed), new RecipientUpdate(1, suppressed)],
            InitialEvents =
            [
                new MessageEvent(MessageEventTypes.Suppressed, T0, "r0@example.test", "On the suppression list: hard_bounce"),
                new MessageEvent(MessageEventTypes.Suppressed, T0, "r1@example.test", "On the suppression list: complaint"),
            ],
        };
        var id = (await messages.AcceptAsync(message, default)).Id;

        var stored = (await messages.FindAsync(id, default))!;
        Assert.Equal(MessageStatus.Suppressed, MessageStatus.Of(stored.Recipients));
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Suppressed, MessageEventTypes.Suppressed], stored.Events.Select(e => e.Type));
        Assert.Null(await queue.NextDueAsync(default));
        Assert.DoesNotContain(id, await queue.ClaimDueAsync("c1", T0.AddDays(1), 100, T0.AddDays(2), default));
        Assert.True((await queue.LoadAsync(id, default))!.Mime.IsEmpty);
    }

    [Fact]
    public async Task A_message_without_variants_loads_with_its_one_body_for_every_recipient()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(recipients: 2), default)).Id;

        var work = (await queue.LoadAsync(id, default))!;
        Assert.True(work.Variants.IsEmpty);
        Assert.Equal([0, 0], [work.VariantOf(0), work.VariantOf(1)]);
        Assert.Equal("abc"u8.ToArray(), work.Body(0).ToArray());
    }

    [Fact]
    public async Task Variants_are_stored_with_the_message_and_each_recipient_loads_its_own_body()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(WithVariants(recipients: 4), default)).Id;

        var work = (await queue.LoadAsync(id, default))!;
        Assert.Equal([0, 1, 2, 1], Enumerable.Range(0, 4).Select(work.VariantOf));
        Assert.Equal(["abc", "variant one", "variant two", "variant one"],
            Enumerable.Range(0, 4).Select(i => System.Text.Encoding.ASCII.GetString(work.Body(work.VariantOf(i)).Span)));

        // Status reads are the same as for any message: the bodies are not part of them.
        var stored = (await messages.FindAsync(id, default))!;
        Assert.All(stored.Recipients, r => Assert.Equal(RecipientStatus.Queued, r.Status));
        Assert.Equal(MessageEventTypes.Queued, Assert.Single(stored.Events).Type);
    }

    [Fact]
    public async Task A_finished_message_drops_its_variants_with_its_body_and_keeps_its_history()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(WithVariants(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, null, "ok"), null, T0);
        await queue.CompleteAsync("c1", id, [.. Enumerable.Range(0, 3).Select(i => new RecipientUpdate(i, delivered))], [], null, null, default);

        var work = (await queue.LoadAsync(id, default))!;
        Assert.True(work.Mime.IsEmpty);
        Assert.True(work.Variants.IsEmpty);
        Assert.Equal(MessageStatus.Delivered, MessageStatus.Of((await messages.FindAsync(id, default))!.Recipients));
    }

    [Fact]
    public async Task A_message_still_being_delivered_keeps_its_variants_between_attempts()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(WithVariants(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var next = T0.AddMinutes(5);
        await queue.CompleteAsync("c1", id,
            [new RecipientUpdate(1, new RecipientState(RecipientStatus.Deferred, 1, new SmtpReply(451, null, "later"), next, T0))], [], next, null, default);

        var work = (await queue.LoadAsync(id, default))!;
        Assert.Equal("variant one"u8.ToArray(), work.Body(work.VariantOf(1)).ToArray());
        Assert.Equal("variant two"u8.ToArray(), work.Body(work.VariantOf(2)).ToArray());
    }

    [Fact]
    public async Task A_message_with_variants_whose_every_recipient_is_final_at_accept_keeps_no_body()
    {
        var (messages, queue) = CreateStore();
        var suppressed = new RecipientState(RecipientStatus.Suppressed, 0, null, null, T0);
        var message = WithVariants() with { InitialStates = [.. Enumerable.Range(0, 3).Select(i => new RecipientUpdate(i, suppressed))] };
        var id = (await messages.AcceptAsync(message, default)).Id;

        var work = (await queue.LoadAsync(id, default))!;
        Assert.True(work.Mime.IsEmpty);
        Assert.True(work.Variants.IsEmpty);
        Assert.Null(await queue.NextDueAsync(default));
    }

    [Fact]
    public async Task A_remote_250_noted_before_its_attempt_was_recorded_comes_back_with_the_message_until_it_is_finished()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var sending = new RecipientState(RecipientStatus.Sending, 0, null, null, T0);
        Assert.True(await queue.UpdateRecipientsAsync("c1", id, [new RecipientUpdate(0, sending), new RecipientUpdate(1, sending)], default));
        Assert.Empty((await queue.LoadAsync(id, default))!.Accepted);

        var ok = new SmtpReply(250, "2.0.0", "Ok: queued as 42");
        var delivered = new MessageEvent(MessageEventTypes.Delivered, T0, "r0@example.test", $"{ok} (via mx.example.test)", ok, "mx.example.test[127.0.0.1]:25", 12);
        queue.NoteAccepted(id, [(0, delivered)]);

        // The worker died before recording the attempt: the next claim loads the note with the message.
        Assert.Contains(id, await queue.ClaimDueAsync("c2", T0.AddMinutes(2), 100, T0.AddMinutes(4), default));
        var work = (await queue.LoadAsync(id, default))!;
        Assert.Equal(0, Assert.Single(work.Accepted).Key);
        Assert.Equal(delivered, work.Accepted[0]);

        var done = new RecipientState(RecipientStatus.Delivered, 1, ok, null, T0.AddMinutes(2));
        await queue.CompleteAsync("c2", id, [new RecipientUpdate(0, done), new RecipientUpdate(1, done)], [delivered], null, null, default);
        Assert.Empty((await queue.LoadAsync(id, default))!.Accepted);
    }

    [Fact]
    public async Task A_message_with_no_recipient_left_sending_loads_no_notes()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var ok = new SmtpReply(250, "2.0.0", "ok");
        queue.NoteAccepted(id, [(0, new MessageEvent(MessageEventTypes.Delivered, T0, "r0@example.test", "250", ok))]);
        var deferred = new RecipientState(RecipientStatus.Deferred, 1, new SmtpReply(451, "4.3.0", "later"), T0.AddMinutes(5), T0);
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(0, deferred with { Status = RecipientStatus.Delivered, NextAttemptAt = null }), new RecipientUpdate(1, deferred)], [], T0.AddMinutes(5), null, default);

        Assert.Empty((await queue.LoadAsync(id, default))!.Accepted);
    }
}
