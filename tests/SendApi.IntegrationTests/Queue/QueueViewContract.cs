using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.Core.Messages.Stats;
using SendApi.Core.Queue;

namespace SendApi.IntegrationTests.Queue;

/// <summary>
/// What the queue pages read and do, the same on both stores: totals, the per-domain shape,
/// retrying a domain now, and cancelling, which never races a delivery job's claim.
/// </summary>
public abstract class QueueViewContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static readonly SmtpReply Busy = new(451, "4.3.0", "Try again later");

    protected abstract (IMessageStore Messages, IDeliveryQueue Queue, IQueueView View) CreateStore();

    /// <summary>Search and stats over the store <see cref="CreateStore"/> made last.</summary>
    protected abstract (IMessageSearch Search, IMessageStats Stats) Readers();

    private static NewMessage Message(params string[] recipients)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, "acct", "a@acme.test", "A <a@acme.test>", "subject",
            [.. recipients.Select(r => new RecipientAddress(r, RecipientKind.To))],
            [], new Dictionary<string, string>(), T0, $"{id}@sendapi.test", 3);
        return new NewMessage(envelope, "abc"u8.ToArray(), null);
    }

    /// <summary>Claims the message and records a 451 for its recipient 0, retried at <paramref name="retryAt"/>.</summary>
    private static async Task DeferAsync(IDeliveryQueue queue, string id, DateTimeOffset retryAt, string claim = "c1")
    {
        Assert.Contains(id, await queue.ClaimDueAsync(claim, T0, 100, T0.AddMinutes(2), default));
        var deferred = new RecipientState(RecipientStatus.Deferred, 1, Busy, retryAt, T0);
        await queue.CompleteAsync(claim, id, [new RecipientUpdate(0, deferred)], [new MessageEvent(MessageEventTypes.Deferred, T0, "x", null, Busy)], retryAt, null, default);
    }

    [Fact]
    public async Task The_snapshot_counts_due_scheduled_and_in_flight_mail_and_shapes_it_per_domain()
    {
        var (messages, queue, view) = CreateStore();
        var deferred = (await messages.AcceptAsync(Message("bob@slow.test"), default)).Id;
        await DeferAsync(queue, deferred, T0.AddHours(1));
        var inFlight = (await messages.AcceptAsync(Message("carol@fast.test"), default)).Id;
        Assert.Equal([inFlight], await queue.ClaimDueAsync("c2", T0, 100, T0.AddMinutes(2), default));
        await messages.AcceptAsync(Message("dave@fast.test", "erin@slow.test"), default);

        var snapshot = await view.SnapshotAsync(T0.AddSeconds(1), 5000, default);

        Assert.Equal((3, 1, 1, 1), (snapshot.Messages, snapshot.DueNow, snapshot.InFlight, snapshot.ScheduledLater));
        Assert.Equal((3, 1, false), (snapshot.Scanned, snapshot.DeferredMessages, snapshot.IsPartial));
        Assert.Equal(T0, snapshot.OldestCreatedAt);
        var slow = Assert.Single(snapshot.Domains, d => d.Domain == "slow.test");
        Assert.Equal((2, 1, 0), (slow.Queued, slow.Deferred, slow.InFlight));
        Assert.Equal(Busy, slow.LastReply);
        var fast = Assert.Single(snapshot.Domains, d => d.Domain == "fast.test");
        Assert.Equal((2, 0, 1), (fast.Queued, fast.Deferred, fast.InFlight));
    }

    [Fact]
    public async Task The_shape_covers_only_the_first_entries_and_says_so()
    {
        var (messages, _, view) = CreateStore();
        for (var i = 0; i < 3; i++)
        {
            await messages.AcceptAsync(Message($"r{i}@example.test"), default);
        }

        var snapshot = await view.SnapshotAsync(T0, 2, default);

        Assert.Equal((3, 2, true), (snapshot.Messages, snapshot.Scanned, snapshot.IsPartial));
        Assert.Equal(2, Assert.Single(snapshot.Domains).Queued);
    }

    [Fact]
    public async Task Retrying_a_domain_makes_its_deferred_recipients_due_now_and_leaves_other_domains_waiting()
    {
        var (messages, queue, view) = CreateStore();
        var slow = (await messages.AcceptAsync(Message("bob@slow.test"), default)).Id;
        await DeferAsync(queue, slow, T0.AddHours(1));
        var other = (await messages.AcceptAsync(Message("carol@other.test"), default)).Id;
        await DeferAsync(queue, other, T0.AddHours(1), "c2");
        var now = T0.AddMinutes(5);

        Assert.Equal(1, await view.RetryDomainNowAsync("slow.test", now, 5000, default));

        Assert.Equal([slow], await queue.ClaimDueAsync("c3", now, 100, now.AddMinutes(2), default));
        var work = await queue.LoadAsync(slow, default);
        Assert.Equal(now, work!.Recipients[0].NextAttemptAt);
        Assert.Equal(RecipientStatus.Deferred, work.Recipients[0].Status);
        Assert.Equal(0, await view.RetryDomainNowAsync("slow.test", now, 5000, default));
    }

    [Fact]
    public async Task Canceling_cancels_the_recipients_not_yet_final_with_an_event_and_takes_the_message_out_of_the_queue()
    {
        var (messages, queue, view) = CreateStore();
        var id = (await messages.AcceptAsync(Message("bob@slow.test", "carol@fast.test"), default)).Id;
        Assert.Contains(id, await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default));
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0);
        var deferred = new RecipientState(RecipientStatus.Deferred, 1, Busy, T0.AddHours(1), T0);
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(0, deferred), new RecipientUpdate(1, delivered)], [], T0.AddHours(1), null, default);

        Assert.Equal(CancelResult.Cancelled, await view.CancelAsync(id, T0.AddMinutes(5), QueueRules.CanceledByOperator, default));

        var stored = await messages.FindAsync(id, default);
        Assert.Equal([RecipientStatus.Canceled, RecipientStatus.Delivered], stored!.Recipients.Select(r => r.Status));
        Assert.Equal(Busy, stored.Recipients[0].LastReply);
        var cancelled = Assert.Single(stored.Events, e => e.Type == MessageEventTypes.Canceled);
        Assert.Equal(("bob@slow.test", QueueRules.CanceledByOperator), (cancelled.Recipient, cancelled.Detail));
        Assert.Null(await queue.NextDueAsync(default));
        Assert.Empty(await queue.ClaimDueAsync("c2", T0.AddDays(1), 100, T0.AddDays(2), default));
        Assert.Equal(CancelResult.AlreadyFinished, await view.CancelAsync(id, T0.AddMinutes(6), QueueRules.CanceledByOperator, default));
    }

    [Fact]
    public async Task A_canceled_message_is_found_under_canceled_and_its_cancels_are_counted()
    {
        var (messages, queue, view) = CreateStore();
        var (search, stats) = Readers();
        var id = (await messages.AcceptAsync(Message("bob@slow.test", "carol@slow.test"), default)).Id;
        await DeferAsync(queue, id, T0.AddHours(1));
        Assert.Equal([id], (await search.SearchAsync(new MessageQuery("acct", Status: MessageStatus.Deferred), default)).Items.Select(m => m.Id));

        Assert.Equal(CancelResult.Cancelled, await view.CancelAsync(id, T0.AddMinutes(5), QueueRules.CanceledByOperator, default));

        Assert.Empty((await search.SearchAsync(new MessageQuery("acct", Status: MessageStatus.Deferred), default)).Items);
        var found = Assert.Single((await search.SearchAsync(new MessageQuery("acct", Status: MessageStatus.Canceled), default)).Items);
        Assert.Equal((id, MessageStatus.Canceled), (found.Id, found.Status));
        var hours = await stats.ReadAsync(new StatsQuery("acct", T0.AddHours(-1), T0.AddHours(1)), default);
        Assert.Equal(2, hours.Sum(h => h.Counts.GetValueOrDefault(MessageEventTypes.Canceled)));
    }

    [Fact]
    public async Task A_message_in_flight_is_not_cancelled_and_its_job_records_its_attempt_as_usual()
    {
        var (messages, queue, view) = CreateStore();
        var id = (await messages.AcceptAsync(Message("bob@example.test"), default)).Id;
        Assert.Contains(id, await queue.ClaimDueAsync("job", T0, 100, T0.AddMinutes(2), default));

        Assert.Equal(CancelResult.InFlight, await view.CancelAsync(id, T0.AddMinutes(1), QueueRules.CanceledByOperator, default));

        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0.AddMinutes(1));
        await queue.CompleteAsync("job", id, [new RecipientUpdate(0, delivered)], [], null, null, default);
        Assert.Equal(RecipientStatus.Delivered, (await messages.FindAsync(id, default))!.Recipients[0].Status);
        Assert.DoesNotContain((await messages.FindAsync(id, default))!.Events, e => e.Type == MessageEventTypes.Failed);
    }

    [Fact]
    public async Task A_cancel_after_a_lapsed_lease_voids_the_claim_so_its_late_holder_cannot_overwrite_it()
    {
        var (messages, queue, view) = CreateStore();
        var id = (await messages.AcceptAsync(Message("bob@example.test"), default)).Id;
        Assert.Contains(id, await queue.ClaimDueAsync("stalled", T0, 100, T0.AddMinutes(2), default));

        Assert.Equal(CancelResult.Cancelled, await view.CancelAsync(id, T0.AddMinutes(3), QueueRules.CanceledByOperator, default));

        // The stalled job wakes up and records a delivery: its states must not replace the cancel.
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0.AddMinutes(3));
        Assert.False(await queue.UpdateRecipientsAsync("stalled", id, [new RecipientUpdate(0, delivered)], default));
        await queue.CompleteAsync("stalled", id, [new RecipientUpdate(0, delivered)], [], null, null, default);
        Assert.Equal(RecipientStatus.Canceled, (await messages.FindAsync(id, default))!.Recipients[0].Status);
    }

    [Fact]
    public async Task An_unknown_message_is_not_found()
    {
        var (_, _, view) = CreateStore();
        Assert.Equal(CancelResult.NotFound, await view.CancelAsync(MessageIds.New(), T0, QueueRules.CanceledByOperator, default));
    }

    [Fact]
    public async Task Recent_failures_keep_failed_and_bounced_events_newest_first()
    {
        var (_, _, view) = CreateStore();
        await view.NoteFailuresAsync("m1", [new MessageEvent(MessageEventTypes.Delivered, T0, "a@x.test", null), new MessageEvent(MessageEventTypes.Failed, T0, "b@x.test", "no")], default);
        await view.NoteFailuresAsync("m2", [new MessageEvent(MessageEventTypes.Bounced, T0.AddSeconds(1), "c@x.test", "gone")], default);

        var recent = await view.RecentFailuresAsync(10, default);

        Assert.Equal([("m2", "c@x.test"), ("m1", "b@x.test")], recent.Select(f => (f.MessageId, f.Event.Recipient!)));
    }
}
