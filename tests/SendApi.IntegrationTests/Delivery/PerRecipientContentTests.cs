using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>
/// Per-recipient bodies (variants) from the intake to real MX hosts (aiosmtpd): each recipient
/// receives its own body, recipients with different bodies never share a transaction, and each
/// body is DKIM-signed on its own. Run on both storage modes.
/// </summary>
public abstract class PerRecipientContentTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string Unique(string local, string domain = "example.test") => $"{local}-{Guid.NewGuid():N}@{domain}";

    [Fact]
    public async Task Each_recipient_receives_its_own_body_and_only_recipients_sharing_a_body_share_a_transaction()
    {
        var account = $"variants-{Guid.NewGuid():N}";
        var client = App.Client(await App.CreateKeyAsync(account));
        string[] to = [Unique("ann"), Unique("bob"), Unique("carl"), Unique("dora"), Unique("eve", "afallback.test")];

        // ann: the base; bob and carl: variant 1; dora (example.test) and eve (afallback.test): variant 2.
        var id = await App.AcceptWithVariantsAsync(account, "Acme <orders@acme.test>", to, "Your order", "Hello, customer",
            ("Hello, Bob and Carl", [1, 2]), ("Hello, Dora and Eve", [3, 4]));

        var status = await client.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Equal(5, status.Events("delivered").Count);
        var atExample = await World.Mx1.WaitForMessagesAsync(3, Patience, m => m.RcptTos.Intersect(to).Any());
        var atFallback = await World.Fallback.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Intersect(to).Any());

        // Three bodies at example.test: three transactions, each with its own recipients and text.
        Assert.Equal(3, World.Mx1.Messages.Count(m => m.RcptTos.Intersect(to).Any()));
        Assert.Equal(
            [(to[0], "Hello, customer"), ($"{to[1]} {to[2]}", "Hello, Bob and Carl"), (to[3], "Hello, Dora and Eve")],
            atExample.Select(m => (string.Join(" ", m.RcptTos.Order(StringComparer.Ordinal)), Text(m))).OrderBy(t => t.Item1, StringComparer.Ordinal));
        var eve = Assert.Single(atFallback);
        Assert.Equal((to[4], "Hello, Dora and Eve"), (string.Join(" ", eve.RcptTos), Text(eve)));

        // One message whatever the body: the same Message-ID, headers and recipients list in each.
        var received = atExample.Append(eve).Select(m => m.Parse()).ToList();
        Assert.All(received, m => Assert.Equal((string?)status["message_id"], m.MessageId));
        Assert.All(received, m => Assert.Equal(to, m.To.Mailboxes.Select(a => a.Address)));
    }

    [Fact]
    public async Task Each_body_is_DKIM_signed_on_its_own_and_every_one_verifies_against_the_published_record()
    {
        var account = $"variants-dkim-{Guid.NewGuid():N}";
        var shop = App.Client(await App.CreateKeyAsync(account));
        var (recordName, recordValue) = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("acme.test"));
        await using var dns = await DnsServer.StartAsync(zone => zone.Txt(recordName, recordValue));
        string[] to = [Unique("ann"), Unique("bob"), Unique("carl")];

        var id = await App.AcceptWithVariantsAsync(account, "Acme <orders@acme.test>", to, "Your invoice — ünïcödé", "Grüße, customer",
            ("Grüße, Bob", [1]), ("Grüße, Carl\n.\nA line with a lone dot", [2]));

        await shop.WaitForStatusAsync(id, Patience, "delivered");
        var received = (await World.Mx1.WaitForMessagesAsync(3, Patience, m => m.RcptTos.Intersect(to).Any())).Select(m => m.Parse()).ToList();
        var signatures = received.Select(m => DomainsTestKit.Tags(Assert.Single(m.Headers, h => h.Id == HeaderId.DkimSignature).Value)).ToList();
        Assert.All(signatures, tags => Assert.Equal("acme.test", tags["d"]));
        Assert.Equal(3, signatures.Select(tags => tags["bh"]).Distinct().Count());
        foreach (var message in received)
        {
            Assert.True(await DomainsTestKit.VerifyAsync(message, dns.CreateLookupClient()), $"The signature of \"{message.TextBody}\" does not verify.");
        }

        // The verifier is not a yes-man: one body's signature does not cover another body.
        var swapped = received[0];
        swapped.Body = received[1].Body;
        Assert.False(await DomainsTestKit.VerifyAsync(swapped, dns.CreateLookupClient()));
    }

    private static string Text(ReceivedMessage message) => message.Parse().TextBody!.TrimEnd();
}

public sealed class EmbeddedPerRecipientContentTests(DeliveryWorld world) : PerRecipientContentTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisPerRecipientContentTests(DeliveryWorld world) : PerRecipientContentTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
