using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SendApi.Api.Features.Domains;
using SendApi.Core.Domains;
using SendApi.Core.Messages;
using SendApi.Delivery.Dkim;
using SendApi.Storage.Embedded;

namespace SendApi.UnitTests.Dkim;

public sealed class DkimMessageSignerTests
{
    private static readonly DomainsOptions Records = new() { SpfInclude = "spf.sendapi.test", MailHost = "sendapi.test" };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly CountingDomainStore _store = new();
    private readonly DkimSignerCache _cache;
    private readonly DkimMessageSigner _signer;

    public DkimMessageSignerTests()
    {
        _cache = new DkimSignerCache(_store, _time);
        _signer = new DkimMessageSigner(_cache, NullLogger<DkimMessageSigner>.Instance);
    }

    [Fact]
    public async Task Message_from_a_registered_domain_is_signed_and_verifies_against_the_published_record()
    {
        var (domain, dns) = await RegisterAsync("acct-a", "acme.test");
        var message = Message("Acme Store <orders@acme.test>", ("X-Order", "1234"));

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        var tags = DkimTestKit.Tags(message);
        Assert.Equal("1", tags["v"]);
        Assert.Equal("rsa-sha256", tags["a"]);
        Assert.Equal("relaxed/relaxed", tags["c"]);
        Assert.Equal("acme.test", tags["d"]);
        Assert.Equal(domain.Dkim.Selector, tags["s"]);
        Assert.Equal("from:reply-to:to:cc:subject:date:message-id:mime-version:content-type", tags["h"]);
        Assert.True(DkimTestKit.Verifies(message, dns));
    }

    [Fact]
    public async Task A_single_part_message_signs_the_content_transfer_encoding_that_preparing_added()
    {
        var (_, dns) = await RegisterAsync("acct-a", "acme.test");
        var message = DkimTestKit.Stored(new MimeMessage(
            [new MailboxAddress("", "orders@acme.test")], [new MailboxAddress("", "bob@example.test")], "Plain", new TextPart("plain") { Text = "Grüße" }));

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        Assert.Contains(Assert.IsType<TextPart>(message.Body).ContentTransferEncoding, new[] { ContentEncoding.QuotedPrintable, ContentEncoding.Base64 });
        Assert.Equal("from:to:subject:date:message-id:mime-version:content-type:content-transfer-encoding", DkimTestKit.Tags(message)["h"]);
        Assert.True(DkimTestKit.Verifies(message, dns));
    }

    [Fact]
    public async Task A_tampered_message_no_longer_verifies()
    {
        // Guards the test's own verifier: it must be able to say no.
        var (_, dns) = await RegisterAsync("acct-a", "acme.test");
        var message = Message("orders@acme.test");
        await _signer.SignAsync(message, Envelope("acct-a"), default);

        message.Subject = "Changed in transit";
        Assert.False(DkimTestKit.Verifies(message, dns));
    }

    [Fact]
    public async Task Message_from_a_domain_nobody_registered_is_left_as_it_is()
    {
        await RegisterAsync("acct-a", "acme.test");
        var message = Message("someone@other.test");
        var before = DkimTestKit.WireBytes(message);

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        Assert.False(message.Headers.Contains(HeaderId.DkimSignature));
        Assert.Equal(before, DkimTestKit.WireBytes(message));
    }

    [Fact]
    public async Task Another_accounts_domain_is_not_signed_for()
    {
        await RegisterAsync("acct-b", "acme.test");
        var message = Message("orders@acme.test");

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        Assert.False(message.Headers.Contains(HeaderId.DkimSignature));
    }

    [Fact]
    public async Task Two_accounts_with_the_same_domain_each_sign_with_their_own_key()
    {
        var (a, dnsA) = await RegisterAsync("acct-a", "acme.test");
        var (b, dnsB) = await RegisterAsync("acct-b", "acme.test");
        var fromA = Message("orders@acme.test");
        var fromB = Message("orders@acme.test");

        await _signer.SignAsync(fromA, Envelope("acct-a"), default);
        await _signer.SignAsync(fromB, Envelope("acct-b"), default);

        Assert.Equal(a.Dkim.Selector, DkimTestKit.Tags(fromA)["s"]);
        Assert.Equal(b.Dkim.Selector, DkimTestKit.Tags(fromB)["s"]);
        Assert.True(DkimTestKit.Verifies(fromA, dnsA));
        Assert.True(DkimTestKit.Verifies(fromB, dnsB));
    }

    [Fact]
    public async Task From_domain_is_matched_whatever_its_case_and_idn_spelling()
    {
        var (_, dns) = await RegisterAsync("acct-a", "Bücher.Test");
        var message = Message("Verkauf <verkauf@BÜCHER.test>");

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        Assert.Equal("xn--bcher-kva.test", DkimTestKit.Tags(message)["d"]);
        Assert.True(DkimTestKit.Verifies(message, dns));
    }

    [Fact]
    public async Task From_with_mailboxes_at_two_domains_is_not_signed()
    {
        await RegisterAsync("acct-a", "acme.test");
        var message = Message("orders@acme.test");
        message.From.Add(new MailboxAddress("", "someone@other.test"));

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        Assert.False(message.Headers.Contains(HeaderId.DkimSignature));
    }

    [Fact]
    public async Task Eight_bit_body_is_made_seven_bit_before_signing_so_no_server_gets_it_re_encoded()
    {
        var (_, dns) = await RegisterAsync("acct-a", "acme.test");
        var raw = "From: orders@acme.test\r\nTo: bob@example.test\r\nSubject: Bestellung\r\nDate: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
            + "Message-ID: <1@sendapi.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Grüße aus Köln — ünïcödé\r\n";
        var message = DkimTestKit.Load(Encoding.UTF8.GetBytes(raw));

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        // What MailKit would send: no 8-bit octet left, so it never needs to re-encode (which it
        // would not do anyway once a DKIM-Signature is present, sending 8-bit to a 7-bit server).
        var wire = DkimTestKit.WireBytes(message);
        Assert.All(wire, b => Assert.True(b < 0x80));
        Assert.NotEqual(ContentEncoding.EightBit, Assert.IsType<TextPart>(message.Body).ContentTransferEncoding);
        Assert.Equal("Grüße aus Köln — ünïcödé", Assert.IsType<TextPart>(DkimTestKit.Load(wire).Body).Text.TrimEnd());
        Assert.True(DkimTestKit.Verifies(message, dns));
    }

    [Fact]
    public async Task A_message_signed_upstream_keeps_its_body_bytes_so_that_signature_still_holds()
    {
        await RegisterAsync("acct-a", "acme.test");
        var raw = "DKIM-Signature: v=1; a=rsa-sha256; d=upstream.test; s=x; h=from; bh=AAAA; b=AAAA\r\n"
            + "From: orders@acme.test\r\nTo: bob@example.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n";
        var message = DkimTestKit.Load(Encoding.UTF8.GetBytes(raw));

        await _signer.SignAsync(message, Envelope("acct-a"), default);

        Assert.Equal(2, message.Headers.Count(h => h.Id == HeaderId.DkimSignature));
        Assert.Equal(ContentEncoding.EightBit, Assert.IsType<TextPart>(message.Body).ContentTransferEncoding);
    }

    [Fact]
    public async Task The_store_is_read_once_per_account_and_domain_within_the_cache_lifetime()
    {
        await RegisterAsync("acct-a", "acme.test");
        for (var i = 0; i < 5; i++)
        {
            await _signer.SignAsync(Message("orders@acme.test"), Envelope("acct-a"), default);
            await _signer.SignAsync(Message("x@unregistered.test"), Envelope("acct-a"), default);
        }

        Assert.Equal(2, _store.Finds);
    }

    [Fact]
    public async Task Deleting_a_domain_in_this_process_stops_signing_at_once()
    {
        await RegisterAsync("acct-a", "acme.test");
        var first = Message("orders@acme.test");
        await _signer.SignAsync(first, Envelope("acct-a"), default);
        Assert.True(first.Headers.Contains(HeaderId.DkimSignature));

        await _store.DeleteAsync("acct-a", "acme.test", default);
        _cache.DomainChanged("acct-a", "acme.test");

        var second = Message("orders@acme.test");
        await _signer.SignAsync(second, Envelope("acct-a"), default);
        Assert.False(second.Headers.Contains(HeaderId.DkimSignature));
    }

    [Fact]
    public async Task A_domain_registered_on_another_instance_is_signed_for_once_the_cached_answer_expires()
    {
        var early = Message("orders@acme.test");
        await _signer.SignAsync(early, Envelope("acct-a"), default);
        Assert.False(early.Headers.Contains(HeaderId.DkimSignature));

        // Registered elsewhere: this process is not told.
        await _store.AddAsync(new SenderDomain("acct-a", "acme.test", _time.GetUtcNow(), DkimKey.Generate(_time.GetUtcNow())), default);
        var cached = Message("orders@acme.test");
        await _signer.SignAsync(cached, Envelope("acct-a"), default);
        Assert.False(cached.Headers.Contains(HeaderId.DkimSignature));

        _time.Advance(DkimSignerCache.Ttl);
        var late = Message("orders@acme.test");
        await _signer.SignAsync(late, Envelope("acct-a"), default);
        Assert.True(late.Headers.Contains(HeaderId.DkimSignature));
    }

    private async Task<(SenderDomain Domain, TxtRecordLocator Dns)> RegisterAsync(string account, string name)
    {
        Assert.True(DomainNames.TryNormalize(name, out var normalized));
        var domain = new SenderDomain(account, normalized, _time.GetUtcNow(), DkimKey.Generate(_time.GetUtcNow()));
        Assert.True(await _store.AddAsync(domain, default));
        _cache.DomainChanged(account, normalized);

        // The record exactly as POST /domains tells the customer to publish it.
        var record = SendApi.Api.Features.Domains.Verification.ExpectedRecords.For(domain, Records)[0];
        return (domain, new TxtRecordLocator().Add(record.Name, record.Value));
    }

    /// <summary>A message as the API composes it, as delivery loads it from the store.</summary>
    private static MimeMessage Message(string from, params (string Name, string Value)[] headers)
    {
        var message = new MimeMessage { Subject = "Your order #1234 — ünïcödé", Date = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero), MessageId = $"{Guid.NewGuid():N}@sendapi.test" };
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Cc.Add(new MailboxAddress("", "carol@example.test"));
        message.ReplyTo.Add(new MailboxAddress("", "support@acme.test"));
        foreach (var (name, value) in headers)
        {
            message.Headers.Add(name, value);
        }

        message.Body = new BodyBuilder { TextBody = "Thank you for your order.\n.\nTrailing spaces   \n", HtmlBody = "<p>Thank you for your <b>order</b>.</p>" }.ToMessageBody();
        return DkimTestKit.Stored(message);
    }

    private static MessageEnvelope Envelope(string account) =>
        new("01test", account, "orders@acme.test", "orders@acme.test", "s", [new RecipientAddress("bob@example.test", RecipientKind.To)],
            [], new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, "1@sendapi.test", 1);

    private sealed class CountingDomainStore : IDomainStore
    {
        private readonly InMemoryDomainStore _inner = new();

        public int Finds { get; private set; }

        public Task<bool> AddAsync(SenderDomain domain, CancellationToken cancellationToken) => _inner.AddAsync(domain, cancellationToken);

        public Task<SenderDomain?> FindAsync(string accountId, string name, CancellationToken cancellationToken)
        {
            Finds++;
            return _inner.FindAsync(accountId, name, cancellationToken);
        }

        public Task<IReadOnlyList<SenderDomain>> ListAsync(string accountId, CancellationToken cancellationToken) => _inner.ListAsync(accountId, cancellationToken);

        public Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken) => _inner.DeleteAsync(accountId, name, cancellationToken);

        public Task<IReadOnlyList<SenderDomain>> ListAllAsync(CancellationToken cancellationToken) => _inner.ListAllAsync(cancellationToken);

        public Task SaveVerificationAsync(string accountId, string name, DomainVerification verification, CancellationToken cancellationToken) =>
            _inner.SaveVerificationAsync(accountId, name, verification, cancellationToken);

        public Task<DomainVerification?> FindVerificationAsync(string accountId, string name, CancellationToken cancellationToken) =>
            _inner.FindVerificationAsync(accountId, name, cancellationToken);

        public Task<IReadOnlyDictionary<string, DomainVerification>> ListVerificationsAsync(string accountId, CancellationToken cancellationToken) =>
            _inner.ListVerificationsAsync(accountId, cancellationToken);
    }
}
