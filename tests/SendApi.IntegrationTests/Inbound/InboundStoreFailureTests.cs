using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Api.Features.Inbound;
using SendApi.Api.Features.Submission;
using SendApi.Core.Inbound;
using SendApi.Core.Messages;
using SendApi.Delivery;
using SendApi.Delivery.ReturnPaths;
using SendApi.Smtp;
using SendApi.Storage.Embedded;

namespace SendApi.IntegrationTests.Inbound;

/// <summary>
/// A report is acknowledged only once it is recorded: when the store fails the reporting MTA is
/// told to retry (451), so nothing it was told "250" about is lost.
/// </summary>
public sealed class InboundStoreFailureTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private sealed class FailingStore(IMessageStore inner, bool failFind, bool failRecord, bool loseRecordReply = false) : IMessageStore
    {
        private int _lostReplies;

        public Task<AcceptResult> AcceptAsync(NewMessage message, CancellationToken cancellationToken) => inner.AcceptAsync(message, cancellationToken);

        public Task<IReadOnlyList<AcceptResult>> AcceptBatchAsync(IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken) =>
            inner.AcceptBatchAsync(messages, cancellationToken);

        public Task<string?> FindIdByMessageIdHeaderAsync(string accountId, string messageIdHeader, CancellationToken cancellationToken) =>
            inner.FindIdByMessageIdHeaderAsync(accountId, messageIdHeader, cancellationToken);

        public Task<StoredMessage?> FindAsync(string id, CancellationToken cancellationToken) =>
            failFind ? throw new InvalidOperationException("store down") : inner.FindAsync(id, cancellationToken);

        public async Task<bool> RecordAsync(string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken)
        {
            if (failRecord)
            {
                throw new InvalidOperationException("store down");
            }

            var recorded = await inner.RecordAsync(id, updates, events, cancellationToken);
            // Written, and the reply lost on its way back (the store went down, or timed out): once.
            return loseRecordReply && Interlocked.Increment(ref _lostReplies) == 1 ? throw new TimeoutException("reply lost") : recorded;
        }
    }

    private sealed class FailingInboundStore : IInboundStore
    {
        public Task<string> StoreAsync(InboundEmail email, ReadOnlyMemory<byte> raw, string fingerprint, TimeSpan retention, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("store down");

        public Task<InboundEmail?> FindAsync(string accountId, string id, CancellationToken cancellationToken) => Task.FromResult<InboundEmail?>(null);

        public Task<byte[]?> GetRawAsync(string accountId, string id, CancellationToken cancellationToken) => Task.FromResult<byte[]?>(null);

        public Task<InboundPage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken) => Task.FromResult(new InboundPage([], null));
    }

    private static async Task<(InboundSmtpHandler Handler, SmtpSessionInfo Session, string ReturnPath)> HandlerAsync(bool failFind, bool failRecord, bool failInbound = false, bool loseRecordReply = false)
    {
        var (handler, session, returnPath, _, _) = await WorldAsync(failFind, failRecord, failInbound, loseRecordReply);
        return (handler, session, returnPath);
    }

    private static async Task<(InboundSmtpHandler Handler, SmtpSessionInfo Session, string ReturnPath, IMessageStore Store, string Id)> WorldAsync(bool failFind, bool failRecord, bool failInbound = false, bool loseRecordReply = false)
    {
        var time = new FakeTimeProvider(T0);
        var store = new InMemoryMessageStore(time);
        var id = MessageIds.New();
        await store.AcceptAsync(new NewMessage(
            new MessageEnvelope(id, "acct", "a@acme.test", "a@acme.test", "s", [new RecipientAddress("carol@example.test", RecipientKind.To)],
                [], new Dictionary<string, string>(), T0, $"{id}@sendapi.test", 3),
            "abc"u8.ToArray(), null), default);
        var failing = new FailingStore(store, failFind, failRecord, loseRecordReply);
        var delivery = Options.Create(new DeliveryOptions { ReturnPathDomain = "bounces.sendapi.test", HeloName = "mx.sendapi.test" });
        var signing = new ReturnPathSigning(new InMemoryReturnPathKeyStore(), delivery, time, NullLogger<ReturnPathSigning>.Instance);
        var inboundOptions = Options.Create(InboundDomain());
        var handler = new InboundSmtpHandler(
            failing, failInbound ? new FailingInboundStore() : new InMemoryInboundStore(time), new EmbeddedDurability(), new InboundRecorder(failing, new InMemorySuppressionStore(), time),
            new InboundAddresses(failing, signing, new SendApi.Api.Features.Tracking.TrackingSigning(new InMemoryTrackingKeyStore(), Options.Create(new SendApi.Api.Features.Tracking.TrackingOptions())), delivery, inboundOptions, Options.Create(new SmtpOptions())),
            new SendApi.Api.Features.Tracking.EngagementRecorder(failing, new InMemorySuppressionStore(), time, NullLogger<SendApi.Api.Features.Tracking.EngagementRecorder>.Instance),
            inboundOptions, time, TestMetrics.Create(), NullLogger<InboundSmtpHandler>.Instance);
        var session = new SmtpSessionInfo(SubmissionListeners.InboundProfile(), new IPEndPoint(IPAddress.Loopback, 40000), "mx.test", false, null, "s1");
        var keys = await signing.GetAsync(default);
        return (handler, session, ReturnPath.Encode(id, [0], "example.test", "bounces.sendapi.test", keys.Key), store, id);
    }

    [Fact]
    public async Task A_store_failure_at_RCPT_is_a_temporary_refusal()
    {
        var (handler, session, returnPath) = await HandlerAsync(failFind: true, failRecord: false);

        var reply = await handler.CheckRecipientAsync(session, returnPath, default);

        Assert.Equal((451, "4.3.0"), (reply?.Code, reply?.EnhancedCode));
    }

    [Fact]
    public async Task A_store_failure_while_recording_a_bounce_asks_the_sender_to_retry()
    {
        var (handler, session, returnPath) = await HandlerAsync(failFind: false, failRecord: true);
        Assert.Null(await handler.CheckRecipientAsync(session, returnPath, default));
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", returnPath, "x@sendapi.test", "carol@example.org", "carol@example.test");

        var reply = await handler.DeliverAsync(session, new SmtpEnvelope("", [returnPath], false, false, null), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(dsn)), default);

        Assert.Equal((451, "4.3.0"), (reply.Code, reply.EnhancedCode));
    }

    [Fact]
    public async Task A_bounce_retried_after_a_451_whose_record_was_written_is_recorded_once()
    {
        // The record was written and its reply lost: the sender was told 451 and sends the same DSN again.
        var (handler, session, returnPath, store, id) = await WorldAsync(failFind: false, failRecord: false, loseRecordReply: true);
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", returnPath, "x@sendapi.test", "carol@example.org", "carol@example.test");

        Assert.Null(await handler.CheckRecipientAsync(session, returnPath, default));
        var first = await handler.DeliverAsync(session, new SmtpEnvelope("", [returnPath], false, false, null), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(dsn)), default);
        Assert.Null(await handler.CheckRecipientAsync(session, returnPath, default));
        var retry = await handler.DeliverAsync(session, new SmtpEnvelope("", [returnPath], false, false, null), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(dsn)), default);

        Assert.Equal((451, 250), (first.Code, retry.Code));
        var message = (await store.FindAsync(id, default))!;
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Bounced], message.Events.Select(e => e.Type));
        Assert.Equal(RecipientStatus.Bounced, message.Recipients[0].Status);
    }

    [Fact]
    public async Task A_store_failure_while_storing_inbound_mail_asks_the_sender_to_retry()
    {
        var (handler, session, _) = await HandlerAsync(failFind: false, failRecord: false, failInbound: true);
        Assert.Null(await handler.CheckRecipientAsync(session, "help@reply.acme.test", default));
        var mail = "From: carol@example.test\r\nTo: help@reply.acme.test\r\nSubject: hi\r\n\r\nhello\r\n"u8.ToArray();

        var reply = await handler.DeliverAsync(session, new SmtpEnvelope("carol@example.test", ["help@reply.acme.test"], false, false, null), new MemoryStream(mail), default);

        Assert.Equal((451, "4.3.0"), (reply.Code, reply.EnhancedCode));
    }

    private static InboundOptions InboundDomain()
    {
        var options = new InboundOptions { Domains = ["reply.acme.test"] };
        options.Resolve();
        return options;
    }
}
