using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SendApi.Core.Capture;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Delivery;
using SendApi.Storage;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// One attempt, as the delivery job makes it, with the application's own registrations in capture
/// mode on the embedded stores: what each recipient's body becomes, transaction by transaction.
/// </summary>
public sealed class MessageDeliveryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    public MessageDeliveryTests()
        : this(StoreDown.No)
    {
    }

    private MessageDeliveryTests(StoreDown storeDown, IMessageSigner? signer = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Delivery:Mode"] = "capture",
                ["Dns:Servers"] = "127.0.0.1:1",
                ["Delivery:ReturnPathDomain"] = storeDown == StoreDown.ForTheReturnPathKey ? "bounces.sendapi.test" : null,
            })
            .Build());
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        services.AddLogging();
        services.AddSendApiStorage();
        services.AddSendApiDelivery();
        if (storeDown == StoreDown.ForTheDkimKey)
        {
            services.AddSingleton<IMessageSigner, KeyStoreDownSigner>();
        }

        if (signer is not null)
        {
            services.AddSingleton(signer);
        }

        if (storeDown == StoreDown.ForAMoment)
        {
            services.AddSingleton<IMessageSigner, KeyStoreBackSoonSigner>();
        }

        if (storeDown == StoreDown.ForTheReturnPathKey)
        {
            services.AddSingleton<IReturnPathKeyStore, ReturnPathKeyStoreDown>();
        }

        if (storeDown != StoreDown.No)
        {
            services.AddSingleton<IStorageAvailability, StoreDownAvailability>();
        }

        _services = services.BuildServiceProvider();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _services.DisposeAsync().AsTask();

    private static byte[] Mime(string text) => Encoding.ASCII.GetBytes(
        $"From: a@acme.test\r\nTo: r0@example.test, r1@example.test, r2@example.test\r\nSubject: s\r\nMessage-ID: <m1@sendapi.test>\r\n\r\n{text}\r\n");

    private static DeliveryWork Work(MessageVariants variants)
    {
        var envelope = new MessageEnvelope(
            "m1", "acct", "a@acme.test", "a@acme.test", "s",
            [.. Enumerable.Range(0, 3).Select(i => new RecipientAddress($"r{i}@example.test", RecipientKind.To))],
            [], new Dictionary<string, string>(), Now, "m1@sendapi.test", 3);
        return new DeliveryWork(envelope, [.. Enumerable.Range(0, 3).Select(_ => RecipientState.Queued(Now))], Mime("base")) { Variants = variants };
    }

    private async Task<List<(string Recipients, string Text)>> CapturedAsync()
    {
        var store = _services.GetRequiredService<ICaptureStore>();
        var captured = new List<(string, string)>();
        foreach (var item in (await store.ListAsync(CaptureScope.Everyone, null, 100, default)).Items)
        {
            var raw = (await store.GetRawAsync(CaptureScope.Everyone, item.Id, default))!;
            captured.Add((string.Join(" ", item.Envelope.RcptTo), MimeMessage.Load(new MemoryStream(raw)).TextBody!.TrimEnd()));
        }

        return [.. captured.OrderBy(c => c.Item1, StringComparer.Ordinal)];
    }

    [Fact]
    public async Task A_message_without_variants_is_one_transaction_per_domain_with_the_base_body()
    {
        var outcome = await _services.GetRequiredService<MessageDelivery>().AttemptAsync(Work(MessageVariants.None), [0, 1, 2], default);

        Assert.All(outcome.Updates, u => Assert.Equal(RecipientStatus.Delivered, u.State.Status));
        Assert.Equal([("r0@example.test r1@example.test r2@example.test", "base")], await CapturedAsync());
    }

    [Fact]
    public async Task Recipients_with_different_bodies_at_one_domain_get_a_transaction_each()
    {
        var work = Work(new MessageVariants([Mime("for r1 and r2")], [0, 1, 1]));

        var outcome = await _services.GetRequiredService<MessageDelivery>().AttemptAsync(work, [0, 1, 2], default);

        Assert.Equal(3, outcome.Events.Count(e => e.Type == MessageEventTypes.Delivered));
        Assert.Equal([("r0@example.test", "base"), ("r1@example.test r2@example.test", "for r1 and r2")], await CapturedAsync());
    }

    [Fact]
    public async Task An_unreadable_variant_fails_its_recipients_and_the_others_still_receive_theirs()
    {
        var work = Work(new MessageVariants([ReadOnlyMemory<byte>.Empty, Mime("for r2")], [0, 1, 2]));

        var outcome = await _services.GetRequiredService<MessageDelivery>().AttemptAsync(work, [0, 1, 2], default);

        var states = outcome.Updates.ToDictionary(u => u.Index, u => u.State);
        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Failed, RecipientStatus.Delivered], Enumerable.Range(0, 3).Select(i => states[i].Status));
        Assert.Equal(("554", "5.6.0"), (states[1].LastReply!.Code.ToString(System.Globalization.CultureInfo.InvariantCulture), states[1].LastReply!.EnhancedCode));
        Assert.StartsWith("The stored message cannot be read", states[1].LastReply!.Text, StringComparison.Ordinal);
        Assert.Equal([("r0@example.test", "base"), ("r2@example.test", "for r2")], await CapturedAsync());
        Assert.Null(outcome.NextDue);
    }

    /// <summary>
    /// A MimeKit message left undisposed is finalizable, so it and all it holds survive a
    /// collection: each body parsed for the attempt (the base and a variant here, as the signer
    /// saw them) is disposed once the attempt is done, and its parts' contents can no longer be read.
    /// </summary>
    [Fact]
    public async Task The_bodies_parsed_for_an_attempt_are_disposed_once_it_is_done()
    {
        var signer = new RecordingSigner();
        var tests = new MessageDeliveryTests(StoreDown.No, signer);
        try
        {
            var work = Work(new MessageVariants([Mime("for r1 and r2")], [0, 1, 1]));

            var outcome = await tests._services.GetRequiredService<MessageDelivery>().AttemptAsync(work, [0, 1, 2], default);

            Assert.Equal(3, outcome.Events.Count(e => e.Type == MessageEventTypes.Delivered));
            Assert.Equal(2, signer.Signed.Count);
            Assert.All(signer.Signed, MimeDisposal.AssertDisposed);
        }
        finally
        {
            await tests.DisposeAsync();
        }
    }

    private sealed class RecordingSigner : IMessageSigner
    {
        public List<MimeMessage> Signed { get; } = [];

        public ValueTask SignAsync(MimeMessage message, MessageEnvelope envelope, CancellationToken cancellationToken)
        {
            Signed.Add(message);
            return ValueTask.CompletedTask;
        }
    }

    public enum StoreDown
    {
        No,
        ForTheDkimKey,
        ForTheReturnPathKey,
        ForAMoment,
    }

    /// <summary>Runs the attempt while moving the fake clock on, as the attempt waits for the store on it.</summary>
    private async Task<AttemptOutcome> AttemptWhileTimePassesAsync(DeliveryWork work)
    {
        var clock = (FakeTimeProvider)_services.GetRequiredService<TimeProvider>();
        var attempt = _services.GetRequiredService<MessageDelivery>().AttemptAsync(work, [0, 1, 2], default);
        while (!attempt.IsCompleted)
        {
            await Task.Delay(1);
            clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        return await attempt;
    }

    [Theory]
    [InlineData(StoreDown.ForTheDkimKey)]
    [InlineData(StoreDown.ForTheReturnPathKey)]
    public async Task Mail_whose_signing_key_cannot_be_read_while_the_store_is_down_is_not_sent_unsigned_but_waits(StoreDown storeDown)
    {
        var down = new MessageDeliveryTests(storeDown);
        AttemptOutcome outcome;
        DateTimeOffset finished;
        try
        {
            outcome = await down.AttemptWhileTimePassesAsync(Work(MessageVariants.None));
            finished = down._services.GetRequiredService<TimeProvider>().GetUtcNow();
            Assert.Empty(await down.CapturedAsync());
        }
        finally
        {
            await down.DisposeAsync();
        }

        Assert.Empty(outcome.Events);
        // A DKIM key is waited for for a while first (a short outage costs a pause, not a trip
        // through the queue); then the recipients are due again the store's Retry-After later.
        var waitedAtLeast = storeDown == StoreDown.ForTheDkimKey ? SendApi.Delivery.Attempts.MessageBodies.StoreRideOut : TimeSpan.Zero;
        Assert.Equal(3, outcome.Updates.Count);
        Assert.All(outcome.Updates, u =>
        {
            Assert.Equal(RecipientStatus.Queued, u.State.Status);
            Assert.Equal(0, u.State.Attempts);
            Assert.InRange(u.State.NextAttemptAt!.Value, Now + waitedAtLeast + StoreDownAvailability.Wait, finished + StoreDownAvailability.Wait);
        });
        Assert.Equal(outcome.Updates[0].State.NextAttemptAt, outcome.NextDue);
    }

    [Fact]
    public async Task Mail_whose_signing_key_store_is_down_for_a_moment_is_signed_and_sent_once_it_answers()
    {
        var blip = new MessageDeliveryTests(StoreDown.ForAMoment);
        try
        {
            var outcome = await blip.AttemptWhileTimePassesAsync(Work(MessageVariants.None));

            Assert.All(outcome.Updates, u => Assert.Equal(RecipientStatus.Delivered, u.State.Status));
            Assert.Equal(3, ((KeyStoreBackSoonSigner)blip._services.GetRequiredService<IMessageSigner>()).Calls);
            Assert.Equal([("r0@example.test r1@example.test r2@example.test", "base")], await blip.CapturedAsync());
        }
        finally
        {
            await blip.DisposeAsync();
        }
    }

    /// <summary>A DKIM signer whose key lives in a store that is down (as a Redis outage looks to it).</summary>
    private sealed class KeyStoreDownSigner : IMessageSigner
    {
        public ValueTask SignAsync(MimeMessage message, MessageEnvelope envelope, CancellationToken cancellationToken) =>
            throw new TimeoutException("the key store did not answer");
    }

    /// <summary>A DKIM signer whose key store is down for its first two reads, then answers (there is no key to sign with).</summary>
    private sealed class KeyStoreBackSoonSigner : IMessageSigner
    {
        public int Calls { get; private set; }

        public ValueTask SignAsync(MimeMessage message, MessageEnvelope envelope, CancellationToken cancellationToken) =>
            ++Calls <= 2 ? throw new TimeoutException("the key store did not answer") : ValueTask.CompletedTask;
    }

    /// <summary>The return-path key's store while it is down, before this process has read the key.</summary>
    private sealed class ReturnPathKeyStoreDown : IReturnPathKeyStore
    {
        public Task<ReturnPathSecret> GetOrAddAsync(ReturnPathSecret proposed, CancellationToken cancellationToken) =>
            throw new TimeoutException("the key store did not answer");
    }

    private sealed class StoreDownAvailability : IStorageAvailability
    {
        public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

        public bool IsDown => true;

        public TimeSpan RetryAfter => Wait;

        public bool TryNoteOutage(Exception exception) => exception is TimeoutException;
    }
}
