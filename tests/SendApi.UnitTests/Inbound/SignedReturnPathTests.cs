using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Api.Features.Inbound;
using SendApi.Api.Features.Submission;
using SendApi.Core.Messages;
using SendApi.Delivery;
using SendApi.Delivery.ReturnPaths;
using SendApi.Storage.Embedded;

namespace SendApi.UnitTests.Inbound;

/// <summary>
/// The return path (VERP) carries a MAC over the message id and the recipient part, so that a
/// recipient who reads its own return path cannot write another recipient's, and nobody can
/// invent one; unsigned ones are honoured only for messages sent before signing began.
/// </summary>
public sealed class SignedReturnPathTests
{
    private const string Id = "0196f0c2a1b27c3d8e9f0a1b2c3d4e5f";
    private const string Domain = "bounces.sendapi.test";
    private static readonly ReturnPathKey Key = new(Encoding.UTF8.GetBytes("a-test-key-of-thirty-two-characters!"));
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signed_return_path_names_its_message_and_recipient_and_verifies()
    {
        var address = ReturnPath.Encode(Id, [3], "example.test", Domain, Key);

        Assert.Matches($"^bounces\\+{Id}-3-[a-z2-7]{{8}}@bounces\\.sendapi\\.test$", address);
        Assert.True(ReturnPath.TryDecode(address, out var decoded));
        Assert.Equal((Id, 3), (decoded.MessageId, decoded.RecipientIndex));
        Assert.True(decoded.IsSignedBy(Key));
        Assert.InRange(address.IndexOf('@'), 1, 64);
    }

    [Fact]
    public void An_mta_that_upper_cases_the_local_part_does_not_break_it()
    {
        var address = ReturnPath.Encode(Id, [0], "example.test", Domain, Key);
        var at = address.IndexOf('@');

        Assert.True(ReturnPath.TryDecode(address[..at].ToUpperInvariant() + address[at..], out var decoded));
        Assert.True(decoded.IsSignedBy(Key));
    }

    [Fact]
    public void Another_index_another_message_or_another_key_does_not_verify()
    {
        var address = ReturnPath.Encode(Id, [0], "example.test", Domain, Key);
        var signature = address[(address.LastIndexOf('-') + 1)..address.IndexOf('@')];

        Assert.True(ReturnPath.TryDecode($"bounces+{Id}-1-{signature}@{Domain}", out var otherIndex));
        Assert.False(otherIndex.IsSignedBy(Key));
        Assert.True(ReturnPath.TryDecode($"bounces+{Id[..^1]}0-0-{signature}@{Domain}", out var otherMessage));
        Assert.False(otherMessage.IsSignedBy(Key));
        Assert.True(ReturnPath.TryDecode(address, out var original));
        Assert.False(original.IsSignedBy(ReturnPathKey.Generate()));
    }

    [Fact]
    public void The_several_recipients_form_is_signed_for_their_domain_only()
    {
        Assert.True(ReturnPath.TryDecode(ReturnPath.Encode(Id, [0, 2], "example.test", Domain, Key), out var decoded));

        Assert.Null(decoded.RecipientIndex);
        Assert.True(decoded.IsSignedBy(Key, "example.test"));
        Assert.False(decoded.IsSignedBy(Key, "other.test"));
    }

    [Theory]
    [InlineData("bounces+0123456789abcdef-0-abcdefg@b.test")]   // 7 characters
    [InlineData("bounces+0123456789abcdef-0-abcdefg1@b.test")]  // '1' is not base32
    [InlineData("bounces+0123456789abcdef-0-x-abcdefgh@b.test")]
    [InlineData("bounces+0123456789abcdef-zz-abcdefgh@b.test")]
    public void Malformed_signed_return_paths_do_not_decode(string address) =>
        Assert.False(ReturnPath.TryDecode(address, out _));

    [Fact]
    public async Task A_forged_recipient_index_is_an_unknown_mailbox()
    {
        var world = await WorldAsync(createdAt: T0.AddMinutes(1), recipients: ["a@example.test", "b@other.test"]);
        var own = ReturnPath.Encode(world.Id, [0], "example.test", Domain, world.Key);
        var forged = own.Replace($"{world.Id}-0-", $"{world.Id}-1-", StringComparison.Ordinal);

        Assert.IsType<ReturnPathTarget>(await world.Addresses.ResolveAsync(own, default));
        Assert.IsType<UnknownMailboxTarget>(await world.Addresses.ResolveAsync(forged, default));
        Assert.IsType<UnknownMailboxTarget>(await world.Addresses.ResolveAsync($"bounces+{world.Id}-1@{Domain}", default));
        Assert.IsType<UnknownMailboxTarget>(await world.Addresses.ResolveAsync($"bounces+{MessageIds.New()}-0-abcdefgh@{Domain}", default));
        Assert.IsType<UnknownMailboxTarget>(await world.Addresses.ResolveAsync($"anything@{Domain}", default));
    }

    [Fact]
    public async Task The_several_recipients_form_covers_only_the_recipients_of_its_transaction()
    {
        var world = await WorldAsync(createdAt: T0.AddMinutes(1), recipients: ["a@example.test", "b@other.test", "c@example.test"]);

        var target = Assert.IsType<ReturnPathTarget>(await world.Addresses.ResolveAsync(ReturnPath.Encode(world.Id, [0, 2], "example.test", Domain, world.Key), default));

        Assert.Equal([true, false, true], Enumerable.Range(0, 3).Select(target.Scope.Allows));
    }

    [Fact]
    public async Task An_unsigned_return_path_is_honoured_only_for_a_message_created_before_signing_began()
    {
        var before = await WorldAsync(createdAt: T0.AddDays(-1), recipients: ["a@example.test", "b@other.test"]);
        var after = await WorldAsync(createdAt: T0.AddMinutes(1), recipients: ["a@example.test"]);

        var old = Assert.IsType<ReturnPathTarget>(await before.Addresses.ResolveAsync($"bounces+{before.Id}-1@{Domain}", default));
        Assert.Equal([false, true], Enumerable.Range(0, 2).Select(old.Scope.Allows));
        Assert.IsType<UnknownMailboxTarget>(await after.Addresses.ResolveAsync($"bounces+{after.Id}-0@{Domain}", default));
    }

    [Fact]
    public async Task The_key_and_cut_over_are_the_first_instance_s_on_every_instance_sharing_the_store()
    {
        var store = new InMemoryReturnPathKeyStore();
        var first = new ReturnPathSigning(store, Delivery(), new FakeTimeProvider(T0), NullLogger<ReturnPathSigning>.Instance);
        var second = new ReturnPathSigning(store, Delivery(), new FakeTimeProvider(T0.AddHours(5)), NullLogger<ReturnPathSigning>.Instance);

        var a = await first.GetAsync(default);
        var b = await second.GetAsync(default);

        Assert.Equal(T0, b.SignedSince);
        Assert.True(a.Key.Bytes.SequenceEqual(b.Key.Bytes));
    }

    [Fact]
    public async Task A_configured_key_signs_instead_of_the_generated_one()
    {
        var configured = new string('k', 40);
        var signing = new ReturnPathSigning(new InMemoryReturnPathKeyStore(), Delivery(configured), new FakeTimeProvider(T0), NullLogger<ReturnPathSigning>.Instance);

        var keys = await signing.GetAsync(default);

        Assert.True(keys.Key.Bytes.SequenceEqual(Encoding.UTF8.GetBytes(configured)));
    }

    private sealed record World(string Id, ReturnPathKey Key, InboundAddresses Addresses);

    /// <summary>A message created at <paramref name="createdAt"/>, in a store where signing began at <see cref="T0"/>.</summary>
    private static async Task<World> WorldAsync(DateTimeOffset createdAt, string[] recipients)
    {
        var time = new FakeTimeProvider(T0);
        var messages = new InMemoryMessageStore(time);
        var id = MessageIds.New();
        await messages.AcceptAsync(new NewMessage(
            new MessageEnvelope(id, "acct", "a@acme.test", "a@acme.test", "s", [.. recipients.Select(r => new RecipientAddress(r, RecipientKind.To))],
                [], new Dictionary<string, string>(), createdAt, $"{id}@sendapi.test", 3),
            "abc"u8.ToArray(), null), default);
        var signing = new ReturnPathSigning(new InMemoryReturnPathKeyStore(), Delivery(), time, NullLogger<ReturnPathSigning>.Instance);
        var inbound = new InboundOptions();
        inbound.Resolve();
        var addresses = new InboundAddresses(messages, signing, new SendApi.Api.Features.Tracking.TrackingSigning(new InMemoryTrackingKeyStore(), Options.Create(new SendApi.Api.Features.Tracking.TrackingOptions())), Delivery(), Options.Create(inbound), Options.Create(new SmtpOptions()));
        return new World(id, (await signing.GetAsync(default)).Key, addresses);
    }

    private static IOptions<DeliveryOptions> Delivery(string? key = null) =>
        Options.Create(new DeliveryOptions { ReturnPathDomain = Domain, HeloName = "mx.sendapi.test", ReturnPathKey = key });
}
