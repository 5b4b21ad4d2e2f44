using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SendApi.Api.Auth;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Domains.Verification;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Domains;
using SendApi.Core.Messages;
using SendApi.Core.Suppressions;
using SendApi.Storage.Embedded;

namespace SendApi.UnitTests.Api;

/// <summary>The one intake, on the embedded stores, fed as each channel feeds it.</summary>
public sealed class MessageIntakeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 30, 0, TimeSpan.Zero);

    private readonly InMemoryMessageStore _messages = new(new FakeTimeProvider(Now));
    private readonly InMemorySuppressionStore _suppressions = new();
    private readonly CountingSignal _signal = new();
    private readonly InMemoryIdempotencyKeys _idempotencyKeys = new(new FakeTimeProvider(Now));
    private readonly MessagesOptions _options = new() { MessageIdDomain = "mail.sendapi.test", MaxSizeBytes = 4096 };

    private readonly InMemoryDomainStore _domains = new();
    private readonly DomainsOptions _domainOptions = new();

    private static readonly SendingKey AnyDomainKey = new("key_0123456789abcdef", [], Sandbox: false);

    private KeyedIntake Intake() =>
        new(new(_suppressions, _messages, new EmbeddedDurability(), _signal, _idempotencyKeys, new SenderDomainStanding(_domains, new FakeTimeProvider(Now)), Personalizer(), Options.Create(_options), Options.Create(_domainOptions), TestMetrics.Create()));

    private TrackingOptions _tracking = new();

    private RecipientPersonalizer Personalizer() =>
        new(new TrackingSettings(Options.Create(_tracking)), new TrackingSigning(new InMemoryTrackingKeyStore(), Options.Create(_tracking)),
            Options.Create(new SendApi.Delivery.DeliveryOptions { ReturnPathDomain = "bounces.sendapi.test" }));

    /// <summary>The intake as a channel calls it: with the sending key (an unrestricted one unless the test names its own).</summary>
    private sealed class KeyedIntake(MessageIntake intake)
    {
        public Task<IntakeResult> AcceptAsync(IncomingMessage message, CancellationToken cancellationToken) =>
            intake.AcceptAsync(message with { Key = message.Key ?? AnyDomainKey }, cancellationToken);

        public Task<IntakeResult> AcceptWithoutKeyAsync(IncomingMessage message) => intake.AcceptAsync(message, default);
    }

    private MessageComposer Composer() => new(Options.Create(_options), new FakeTimeProvider(Now));

    private IncomingMessage Composed(string text = "Hi", params string[] to) => Composer().Compose(
        new SendMessageRequest { From = "Acme <hello@acme.test>", To = to.Length > 0 ? to : ["bob@example.test"], Subject = "Hello", Text = text },
        MessageIds.New(), "acct");

    [Fact]
    public async Task A_composed_message_is_stored_as_written_and_wakes_the_dispatcher()
    {
        var message = Composed();

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(message, default));

        Assert.Equal(new MessageAccepted(message.Id, false, [], MessageStatus.Queued), accepted with { Suppressed = [] });
        var work = await _messages.LoadAsync(accepted.Id, default);
        Assert.NotNull(work);
        Assert.Equal(work.Mime.Length, work.Envelope.Size);
        Assert.Equal($"{message.Id}@mail.sendapi.test", work.Envelope.MessageIdHeader);
        Assert.Equal(("hello@acme.test", "\"Acme\" <hello@acme.test>", "Hello"), (work.Envelope.Sender, work.Envelope.From, work.Envelope.Subject));
        Assert.Equal(1, _signal.Count);
    }

    [Fact]
    public async Task A_message_is_stored_with_CRLF_line_ends_and_its_size_is_what_goes_out()
    {
        var message = Composed("line one\nline two\n\n.a dot line\n");

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(message, default));

        var work = (await _messages.LoadAsync(accepted.Id, default))!;
        var stored = work.Mime.ToArray();
        // The wire's form: delivery sends these bytes as they are, and SIZE= is their length.
        Assert.Contains("\r\n\r\nline one\r\nline two\r\n\r\n.a dot line\r\n", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, stored.Length).Count(i => stored[i] == '\n'), Enumerable.Range(1, stored.Length - 1).Count(i => stored[i] == '\n' && stored[i - 1] == '\r'));
        Assert.Equal(stored.Length, work.Envelope.Size);
    }

    [Fact]
    public async Task An_idempotency_key_bound_to_another_request_refuses_the_message_and_stores_nothing()
    {
        var first = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed() with { IdempotencyKey = "order-2", RequestFingerprint = "a" }, default));
        var retry = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed() with { IdempotencyKey = "order-2", RequestFingerprint = "a" }, default));

        var other = Composed("changed") with { IdempotencyKey = "order-2", RequestFingerprint = "b" };
        var refused = Assert.IsType<IdempotencyKeyReused>(await Intake().AcceptAsync(other, default));

        Assert.Equal((first.Id, true), (retry.Id, retry.Replayed));
        Assert.Contains("'order-2'", refused.Reason);
        Assert.Null(await _messages.FindAsync(other.Id, default));
        Assert.Equal(1, _signal.Count);
    }

    [Fact]
    public async Task The_same_idempotency_key_answers_with_the_first_message_and_wakes_nobody_again()
    {
        var first = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed() with { IdempotencyKey = "order-1" }, default));

        var again = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed("changed") with { IdempotencyKey = "order-1" }, default));

        Assert.Equal((first.Id, true), (again.Id, again.Replayed));
        Assert.Equal(1, _signal.Count);
    }

    [Fact]
    public async Task Suppressed_recipients_start_final_and_the_others_are_queued()
    {
        await _suppressions.AddAsync("acct", new Suppression("carol@example.test", SuppressionReasons.HardBounce, "550 5.1.1 no such user", null, Now), default);

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed("Hi", "bob@example.test", "Carol@Example.test"), default));

        Assert.Equal(["Carol@Example.test"], accepted.Suppressed);
        Assert.Equal(MessageStatus.Queued, accepted.Status);
        var stored = await _messages.FindAsync(accepted.Id, default);
        Assert.Equal([RecipientStatus.Queued, RecipientStatus.Suppressed], stored!.Recipients.Select(r => r.Status));
        var suppressed = Assert.Single(stored.Events, e => e.Type == MessageEventTypes.Suppressed);
        Assert.Equal("On the suppression list: hard_bounce (550 5.1.1 no such user)", suppressed.Detail);
    }

    [Fact]
    public async Task A_replay_reports_the_suppressions_the_first_message_recorded()
    {
        await _suppressions.AddAsync("acct", new Suppression("bob@example.test", SuppressionReasons.Manual, null, null, Now), default);
        var first = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed() with { IdempotencyKey = "k" }, default));
        await _suppressions.RemoveAsync("acct", "bob@example.test", default);

        var again = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed() with { IdempotencyKey = "k" }, default));

        Assert.Equal((MessageStatus.Suppressed, MessageStatus.Suppressed), (first.Status, again.Status));
        Assert.Equal(["bob@example.test"], again.Suppressed);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_and_nothing_is_stored()
    {
        var message = Composed(new string('x', 5000));

        var refused = Assert.IsType<MessageTooLarge>(await Intake().AcceptAsync(message, default));

        Assert.True(refused.Size > 4096);
        Assert.Equal(4096, refused.MaxSize);
        Assert.Null(await _messages.FindAsync(message.Id, default));
        Assert.Equal(0, _signal.Count);
    }

    /// <summary>
    /// A MimeKit message left undisposed is finalizable, so it and all it holds survive a
    /// collection: disposed, its parts' contents can no longer be read. Accepted, refused for its size
    /// (after it was written) or refused before (a From the key may not send as), with variants.
    /// </summary>
    [Fact]
    public async Task The_intake_disposes_each_message_s_MIME_once_written_accepted_or_refused()
    {
        var accepted = WithVariants(("Hi Bob", [1]), ("Hi Carl", [2]));
        var tooLarge = Composed(new string('x', 5000));
        var notAllowed = Composed() with { Key = new SendingKey("key_0123456789abcdef", ["shop.test"], Sandbox: false) };

        Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(accepted, default));
        Assert.IsType<MessageTooLarge>(await Intake().AcceptAsync(tooLarge, default));
        Assert.IsType<SenderDomainNotAllowedForKey>(await Intake().AcceptAsync(notAllowed, default));

        var mimes = new[] { accepted.Mime, tooLarge.Mime, notAllowed.Mime }.Concat(accepted.Variants.Select(v => v.Mime));
        Assert.All(mimes, MimeDisposal.AssertDisposed);
    }

    [Fact]
    public async Task A_submitted_message_without_Message_ID_or_Date_gets_ours()
    {
        var mime = MimeMessage.Load(new MemoryStream("From: hello@acme.test\r\nTo: bob@example.test\r\nSubject: Hi\r\n\r\nBody\r\n"u8.ToArray()));
        var message = IncomingMessage.FromMime(MessageIds.New(), "acct", Now, mime, "hello@acme.test", ["bob@example.test"]);

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(message, default));

        var work = await _messages.LoadAsync(accepted.Id, default);
        var delivered = MimeMessage.Load(new MemoryStream(work!.Mime.ToArray()));
        Assert.Equal($"{message.Id}@mail.sendapi.test", delivered.MessageId);
        Assert.Equal(delivered.MessageId, work.Envelope.MessageIdHeader);
        Assert.Equal(Now, delivered.Date);
    }

    [Fact]
    public async Task A_submitted_message_keeps_its_own_Message_ID_and_Date()
    {
        const string Raw = "From: hello@acme.test\r\nTo: bob@example.test\r\nMessage-ID: <own@acme.test>\r\nDate: Mon, 2 Nov 2026 08:00:00 +0000\r\n\r\nBody\r\n";
        var mime = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(Raw)));

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(
            IncomingMessage.FromMime(MessageIds.New(), "acct", Now, mime, "hello@acme.test", ["bob@example.test"]), default));

        var work = await _messages.LoadAsync(accepted.Id, default);
        Assert.Equal("own@acme.test", work!.Envelope.MessageIdHeader);
        var delivered = MimeMessage.Load(new MemoryStream(work.Mime.ToArray()));
        Assert.Single(delivered.Headers, h => h.Id == HeaderId.MessageId);
        Assert.Equal("own@acme.test", delivered.MessageId);
        Assert.Single(delivered.Headers, h => h.Id == HeaderId.Date);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero), delivered.Date);
    }

    [Fact]
    public void A_submitted_message_s_recipients_are_the_envelope_s_with_their_kind_from_the_headers()
    {
        var mime = MimeMessage.Load(new MemoryStream("To: Bob <bob@example.test>, dave@example.test\r\nCc: carol@example.test\r\nSubject: Hi\r\n\r\nBody\r\n"u8.ToArray()));

        var message = IncomingMessage.FromMime("id", "acct", Now, mime, "sender@acme.test",
            ["bob@example.test", "carol@example.test", "BOB@example.test", "hidden@example.test"]);

        Assert.Equal(
            [new("bob@example.test", RecipientKind.To), new("carol@example.test", RecipientKind.Cc), new RecipientAddress("hidden@example.test", RecipientKind.Bcc)],
            message.Recipients);
        Assert.Equal(("sender@acme.test", "Hi"), (message.From, message.Subject));
    }

    /// <summary>A composed message to three recipients, with its text as a variant would render it for <paramref name="texts"/>' recipients.</summary>
    private IncomingMessage WithVariants(params (string Text, int[] Recipients)[] texts)
    {
        var message = Composed("Hi everyone", "ann@example.test", "bob@example.test", "carl@example.test");
        return message with
        {
            Variants = [.. texts.Select(t => new MessageVariant(Composed(t.Text, "ann@example.test", "bob@example.test", "carl@example.test").Mime, t.Recipients))],
        };
    }

    private static MimeMessage Parse(ReadOnlyMemory<byte> bytes) => MimeMessage.Load(new MemoryStream(bytes.ToArray()));

    [Fact]
    public async Task Variants_are_stored_beside_the_base_with_the_message_s_Message_ID_and_Date()
    {
        var message = WithVariants(("Hi Bob", [1]), ("Hi Carl", [2]));

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(message, default));

        var work = (await _messages.LoadAsync(accepted.Id, default))!;
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(work.VariantOf));
        var bodies = Enumerable.Range(0, 3).Select(i => Parse(work.Body(work.VariantOf(i)))).ToList();
        Assert.Equal(["Hi everyone", "Hi Bob", "Hi Carl"], bodies.Select(b => b.TextBody!.TrimEnd()));
        Assert.All(bodies, b => Assert.Equal(work.Envelope.MessageIdHeader, b.MessageId));
        Assert.All(bodies, b => Assert.Equal(Now, b.Date));
        Assert.Equal(work.Mime.Length, work.Envelope.Size);
        Assert.Equal(1, _signal.Count);
    }

    [Fact]
    public async Task A_message_without_unsubscribe_or_tracking_keeps_one_body_for_everyone()
    {
        _tracking = new TrackingOptions { BaseUrl = "https://mail.sendapi.test" };

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed("Hi", "ann@example.test", "bob@example.test"), default));

        var work = (await _messages.LoadAsync(accepted.Id, default))!;
        Assert.True(work.Variants.IsEmpty);
        Assert.False(Parse(work.Mime).Headers.Contains(HeaderId.ListUnsubscribe));
    }

    [Fact]
    public async Task Unsubscribe_gives_each_recipient_its_own_signed_links_over_the_body_a_template_rendered_for_it()
    {
        _tracking = new TrackingOptions { BaseUrl = "https://mail.sendapi.test/" };
        var message = WithVariants(("Hi Bob", [1])) with { Tracking = new TrackingChoice(Unsubscribe: true) };

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(message, default));

        var work = (await _messages.LoadAsync(accepted.Id, default))!;
        Assert.Equal([1, 2, 3], Enumerable.Range(0, 3).Select(work.VariantOf));
        var bodies = Enumerable.Range(0, 3).Select(i => Parse(work.Body(work.VariantOf(i)))).ToList();
        Assert.Equal(["Hi everyone", "Hi Bob", "Hi everyone"], bodies.Select(b => b.TextBody!.TrimEnd()));
        var headers = bodies.Select(b => b.Headers[HeaderId.ListUnsubscribe]).ToList();
        Assert.Equal(3, headers.Distinct().Count());
        Assert.All(headers, h => Assert.Matches(@"^<https://mail\.sendapi\.test/u/([a-z2-7]+)>, <mailto:unsubscribe\+\1@bounces\.sendapi\.test>$", h));
        Assert.All(bodies, b => Assert.Equal("List-Unsubscribe=One-Click", b.Headers[HeaderId.ListUnsubscribePost]));
        Assert.All(bodies, b => Assert.Equal(work.Envelope.MessageIdHeader, b.MessageId));
    }

    [Fact]
    public async Task Click_and_open_tracking_rewrite_the_html_part_and_leave_the_text_part_alone()
    {
        _tracking = new TrackingOptions { BaseUrl = "https://mail.sendapi.test" };
        var message = Composer().Compose(
            new SendMessageRequest
            {
                From = "Acme <hello@acme.test>", To = ["bob@example.test"], Subject = "Hello",
                Text = "See https://acme.test/a", Html = "<p><a href=\"https://acme.test/a\">A</a></p>", TrackOpens = true, TrackClicks = true,
            },
            MessageIds.New(), "acct");

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(message, default));

        var body = Parse((await _messages.LoadAsync(accepted.Id, default))!.Body(1));
        Assert.Equal("See https://acme.test/a", body.TextBody!.TrimEnd());
        Assert.Matches(@"<a href=""https://mail\.sendapi\.test/c/[a-z2-7]+"">A</a>", body.HtmlBody);
        Assert.Matches(@"<img src=""https://mail\.sendapi\.test/o/[a-z2-7]+""", body.HtmlBody);
        Assert.False(body.Headers.Contains(HeaderId.ListUnsubscribe));
    }

    [Fact]
    public async Task Recipients_sharing_a_variant_share_its_one_stored_body()
    {
        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(WithVariants(("Hi you two", [2, 0])), default));

        var work = (await _messages.LoadAsync(accepted.Id, default))!;
        Assert.Equal([1, 0, 1], Enumerable.Range(0, 3).Select(work.VariantOf));
        Assert.Single(work.Variants.Bodies);
    }

    [Fact]
    public async Task A_variant_over_the_size_limit_refuses_the_message_and_nothing_is_stored()
    {
        var message = WithVariants(("Hi Bob", [1]), (new string('x', 5000), [2]));

        var refused = Assert.IsType<MessageTooLarge>(await Intake().AcceptAsync(message, default));

        Assert.True(refused.Size > 4096);
        Assert.Null(await _messages.FindAsync(message.Id, default));
        Assert.Equal(0, _signal.Count);
    }

    public static TheoryData<int[], int[], string> BadAssignments => new()
    {
        { [3], [1], "names recipient 3; the message has 3" },
        { [-1], [1], "names recipient -1" },
        { [], [1], "Variant 1 of message" },
        { [1], [1, 2], "Recipient 1 of message" },
    };

    [Theory]
    [MemberData(nameof(BadAssignments))]
    public async Task A_variant_naming_no_recipient_a_missing_one_or_one_already_in_another_is_a_bug_and_stores_nothing(int[] first, int[] second, string error)
    {
        var message = WithVariants(("first", first), ("second", second));

        var thrown = await Assert.ThrowsAsync<ArgumentException>(() => Intake().AcceptAsync(message, default));

        Assert.Contains(error, thrown.Message, StringComparison.Ordinal);
        Assert.Null(await _messages.FindAsync(message.Id, default));
    }

    private sealed class CountingSignal : IDeliverySignal
    {
        public int Count { get; private set; }

        public void Notify() => Count++;
    }

    [Fact]
    public async Task Mail_from_a_registered_domain_whose_dkim_record_is_missing_is_accepted_with_a_warning_naming_the_record()
    {
        await RegisterAsync("acct", "acme.test", RecordStatuses.Missing);

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed(), default));

        var warning = Assert.Single((await _messages.FindAsync(accepted.Id, default))!.Events, e => e.Type == MessageEventTypes.Warning);
        Assert.Contains("DKIM TXT s1._domainkey.acme.test is missing", warning.Detail);
        Assert.Contains("may land in spam", warning.Detail);
    }

    [Fact]
    public async Task Mail_from_a_verified_domain_or_an_unregistered_one_carries_no_warning()
    {
        await RegisterAsync("acct", "acme.test", RecordStatuses.Verified);
        var fromVerified = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed(), default));
        var fromOther = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composer().Compose(
            new SendMessageRequest { From = "x@elsewhere.test", To = ["bob@example.test"], Subject = "s", Text = "t" }, MessageIds.New(), "acct"), default));

        Assert.DoesNotContain((await _messages.FindAsync(fromVerified.Id, default))!.Events, e => e.Type == MessageEventTypes.Warning);
        Assert.DoesNotContain((await _messages.FindAsync(fromOther.Id, default))!.Events, e => e.Type == MessageEventTypes.Warning);
    }

    [Fact]
    public async Task A_dns_error_on_a_record_verified_before_does_not_make_the_domain_unverified()
    {
        await RegisterAsync("acct", "acme.test", RecordStatuses.Error, verifiedBefore: true);
        _domainOptions.RequireVerified = true;

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed(), default));

        Assert.DoesNotContain((await _messages.FindAsync(accepted.Id, default))!.Events, e => e.Type == MessageEventTypes.Warning);
    }

    [Fact]
    public async Task With_require_verified_mail_from_an_unverified_or_unregistered_domain_is_refused_and_nothing_is_stored()
    {
        _domainOptions.RequireVerified = true;
        await RegisterAsync("acct", "acme.test", RecordStatuses.Mismatch);

        var refused = Assert.IsType<SenderDomainNotVerified>(await Intake().AcceptAsync(Composed(), default));
        Assert.Contains("DKIM TXT s1._domainkey.acme.test is mismatch", refused.Reason);
        var unregistered = Assert.IsType<SenderDomainNotVerified>(await Intake().AcceptAsync(Composer().Compose(
            new SendMessageRequest { From = "x@elsewhere.test", To = ["bob@example.test"], Subject = "s", Text = "t" }, MessageIds.New(), "acct"), default));
        Assert.Contains("elsewhere.test is not a sender domain of this account", unregistered.Reason);
        Assert.Equal(0, _signal.Count);
    }

    private async Task RegisterAsync(string account, string name, string dkimStatus, bool verifiedBefore = false)
    {
        var key = new DkimKey("s1", DkimKey.RsaSha256, "MIIB", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
        await _domains.AddAsync(new SenderDomain(account, name, Now, key), default);
        RecordCheck Check(string purpose, string type, string at, string status) =>
            new(purpose, type, at, status, [], status == RecordStatuses.Verified ? null : "why", status == RecordStatuses.Verified || verifiedBefore ? Now : null);
        await _domains.SaveVerificationAsync(account, name, new DomainVerification("s1", Now,
        [
            Check(RecordPurposes.Dkim, "TXT", $"s1._domainkey.{name}", dkimStatus),
            Check(RecordPurposes.Spf, "TXT", name, RecordStatuses.Verified),
            Check(RecordPurposes.Dmarc, "TXT", $"_dmarc.{name}", RecordStatuses.Verified),
        ]), default);
    }

    [Fact]
    public async Task A_domain_bound_key_is_refused_a_From_domain_it_was_not_given_and_nothing_is_stored()
    {
        var key = new SendingKey("key_0123456789abcdef", ["shop.test"], Sandbox: false);

        var refused = Assert.IsType<SenderDomainNotAllowedForKey>(await Intake().AcceptAsync(Composed() with { Key = key }, default));

        Assert.Contains("shop.test", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("acme.test", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _signal.Count);
    }

    [Fact]
    public async Task A_domain_bound_key_sends_as_its_domain_and_the_message_records_the_key_and_its_sandbox()
    {
        var key = new SendingKey("key_0123456789abcdef", ["acme.test"], Sandbox: true);

        var accepted = Assert.IsType<MessageAccepted>(await Intake().AcceptAsync(Composed() with { Key = key }, default));

        var stored = await _messages.FindAsync(accepted.Id, default);
        Assert.Equal("key_0123456789abcdef", stored!.Envelope.KeyId);
        Assert.True(stored.Envelope.Sandbox);
    }

    [Fact]
    public async Task A_channel_that_forgets_the_sending_key_is_a_bug_not_an_unrestricted_send()
    {
        var thrown = await Assert.ThrowsAsync<ArgumentException>(() => Intake().AcceptWithoutKeyAsync(Composed()));
        Assert.Contains("IncomingMessage.Key", thrown.Message, StringComparison.Ordinal);
    }
}
