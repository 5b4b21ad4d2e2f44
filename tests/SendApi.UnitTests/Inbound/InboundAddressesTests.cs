using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Api.Features.Inbound;
using SendApi.Api.Features.Submission;
using SendApi.Delivery;
using SendApi.Delivery.ReturnPaths;
using SendApi.Storage.Embedded;

namespace SendApi.UnitTests.Inbound;

/// <summary>Which port-25 recipients are ours, in which spelling, and whose mail they are.</summary>
public sealed class InboundAddressesTests
{
    private readonly InboundAddresses _addresses;

    public InboundAddressesTests()
    {
        var time = new FakeTimeProvider();
        var delivery = Options.Create(new DeliveryOptions { ReturnPathDomain = "bounces.sendapi.test", HeloName = "mx.sendapi.test" });
        var inbound = new InboundOptions { Domains = ["reply.acme.test", "tickets.other.test=acct-other"] };
        inbound.Resolve();
        _addresses = new InboundAddresses(
            new InMemoryMessageStore(time),
            new ReturnPathSigning(new InMemoryReturnPathKeyStore(), delivery, time, NullLogger<ReturnPathSigning>.Instance),
            new SendApi.Api.Features.Tracking.TrackingSigning(new InMemoryTrackingKeyStore(), Options.Create(new SendApi.Api.Features.Tracking.TrackingOptions())),
            delivery,
            Options.Create(inbound),
            Options.Create(new SmtpOptions()));
    }

    [Theory]
    [InlineData("postmaster", "postmaster")]
    [InlineData("PostMaster", "PostMaster")]
    [InlineData("postmaster@bounces.sendapi.test", "postmaster@bounces.sendapi.test")]
    [InlineData("postmaster@reply.acme.test", "postmaster@reply.acme.test")]
    [InlineData("Postmaster@Tickets.Other.Test", "Postmaster@tickets.other.test")]
    [InlineData("postmaster@mx.sendapi.test", "postmaster@mx.sendapi.test")]
    public async Task The_postmaster_of_any_of_our_domains_is_the_admin_s_mailbox(string address, string stored)
    {
        var target = Assert.IsType<MailboxTarget>(await _addresses.ResolveAsync(address, default));

        Assert.Equal(("admin", stored), (target.Account, target.Address));
    }

    [Theory]
    [InlineData("postmaster@example.test")]
    [InlineData("postmaster@sub.reply.acme.test")]
    [InlineData("postmaster@sendapi.test")]
    public async Task The_postmaster_of_another_domain_is_not_ours(string address) =>
        Assert.IsType<NotOursTarget>(await _addresses.ResolveAsync(address, default));

    [Theory]
    [InlineData("help@ｒｅｐｌｙ.acme.test")]            // fullwidth letters
    [InlineData("help@reply\u3002acme\u3002test")]       // ideographic full stops
    [InlineData("help@REPLY\uFF0Eacme\uFF61test")]       // fullwidth and halfwidth full stops
    [InlineData("help@reply.acme.test.")]
    public async Task A_look_alike_spelling_of_an_inbound_domain_is_stored_in_its_canonical_spelling(string address)
    {
        var target = Assert.IsType<MailboxTarget>(await _addresses.ResolveAsync(address, default));

        Assert.Equal(("admin", "help@reply.acme.test"), (target.Account, target.Address));
    }

    [Theory]
    [InlineData("help@reply.\u0430cme.test")]            // Cyrillic а
    [InlineData("help@reply-acme.test")]
    [InlineData("help@xn--reply-acme.test")]
    [InlineData("help@[127.0.0.1]")]
    public async Task Another_domain_that_looks_like_ours_is_not_ours(string address) =>
        Assert.IsType<NotOursTarget>(await _addresses.ResolveAsync(address, default));

    [Fact]
    public async Task A_look_alike_spelling_of_the_return_path_domain_reaches_the_same_checks() =>
        Assert.IsType<UnknownMailboxTarget>(await _addresses.ResolveAsync("bounces+0123abcd-0-abcdefgh@ｂｏｕｎｃｅｓ.sendapi.test", default));
}
