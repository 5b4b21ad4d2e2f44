using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Suppressions;

/// <summary>
/// A suppressed address is skipped on the next send, via HTTP and via SMTP, while the message's
/// other recipients are delivered to the real MX (aiosmtpd). Run on both storage modes, since the
/// suppressed recipients are written by each store's accept step.
/// </summary>
public abstract partial class SuppressionSendTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string Unique(string local) => $"{local}-{Guid.NewGuid():N}@example.test";

    [GeneratedRegex(@"queued as (?<id>[0-9a-f]{32})")]
    private static partial Regex QueuedAs();

    private static async Task SuppressAsync(HttpClient client, string address)
    {
        var response = await client.PostAsJsonAsync("/suppressions", new { address });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /suppressions answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<JsonNode> PostMessageAsync(HttpClient client, params string[] to)
    {
        var response = await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to, subject = "s", text = "x" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /messages answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private void AssertNeverReceived(string address) =>
        Assert.DoesNotContain(World.Mx1.Messages, m => m.RcptTos.Contains(address, StringComparer.OrdinalIgnoreCase));

    /// <summary>Submits a message on port 587 as a MailKit client would; returns the server's reply to DATA.</summary>
    private async Task<string> SubmitOverSmtpAsync(string to, string cc)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Cc.Add(MailboxAddress.Parse(cc));
        message.Subject = "via SMTP";
        message.Body = new TextPart("plain") { Text = "x" };
        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", App.SubmissionPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var reply = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
        return reply;
    }

    private static void AssertSuppressedRecipient(JsonNode message, string address)
    {
        Assert.Equal("suppressed", (string?)message.Recipient(address)["status"]);
        Assert.Equal(0, (int)message.Recipient(address)["attempts"]!);
        var suppressed = Assert.Single(message.Events("suppressed"), e => (string?)e["recipient"] == address);
        Assert.Contains("manual", (string?)suppressed["detail"]);
    }

    [Fact]
    public async Task A_suppressed_address_is_skipped_on_the_next_send_via_HTTP()
    {
        var gone = Unique("gone");
        var bob = Unique("bob");
        await SuppressAsync(Http, gone.ToUpperInvariant());

        var accepted = await PostMessageAsync(Http, gone, bob);
        Assert.Equal("queued", (string?)accepted["status"]);
        Assert.Equal([gone], accepted["suppressed"]!.AsArray().Select(a => (string)a!));

        var id = (string)accepted["id"]!;
        var received = Assert.Single(await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(bob)));
        Assert.Equal([bob], received.RcptTos);
        var status = await Http.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Equal("delivered", (string?)status.Recipient(bob)["status"]);
        AssertSuppressedRecipient(status, gone);
        AssertNeverReceived(gone);
    }

    [Fact]
    public async Task A_suppressed_address_is_skipped_on_the_next_send_via_SMTP()
    {
        var gone = Unique("gone");
        var bob = Unique("bob");
        await SuppressAsync(Http, gone);

        var reply = await SubmitOverSmtpAsync(to: bob, cc: gone);

        Assert.Contains("(1 recipient suppressed)", reply);
        var id = QueuedAs().Match(reply).Groups["id"].Value;
        var received = Assert.Single(await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(bob)));
        Assert.Equal([bob], received.RcptTos);
        var status = await Http.WaitForStatusAsync(id, Patience, "delivered");
        AssertSuppressedRecipient(status, gone);
        AssertNeverReceived(gone);
    }

    /// <summary>
    /// <c>"x"@d</c> is the mailbox <c>x@d</c> (RFC 5321 §4.1.2): quoting the local part used to
    /// slip past the list on both intakes.
    /// </summary>
    [Fact]
    public async Task A_quoted_spelling_of_a_suppressed_address_is_suppressed_via_HTTP_and_SMTP()
    {
        var local = $"gone-{Guid.NewGuid():N}";
        var quoted = $"\"{local}\"@example.test";
        var bob = Unique("bob");
        await SuppressAsync(Http, $"{local}@example.test");

        var accepted = await PostMessageAsync(Http, quoted, bob);
        Assert.Equal([quoted], accepted["suppressed"]!.AsArray().Select(a => (string)a!));

        var reply = await SubmitOverSmtpAsync(to: bob, cc: quoted);
        Assert.Contains("(1 recipient suppressed)", reply);

        var smtpId = QueuedAs().Match(reply).Groups["id"].Value;
        await World.Mx1.WaitForMessagesAsync(2, Patience, m => m.RcptTos.Contains(bob));
        var status = await Http.WaitForStatusAsync(smtpId, Patience, "delivered");
        Assert.Equal("suppressed", (string?)status.Recipient(quoted)["status"]);
        var httpStatus = await Http.WaitForStatusAsync((string)accepted["id"]!, Patience, "delivered");
        Assert.Equal("suppressed", (string?)httpStatus.Recipient(quoted)["status"]);
        Assert.DoesNotContain(World.Mx1.Messages, m => m.RcptTos.Any(r => r.Contains(local, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task A_message_to_only_suppressed_addresses_is_accepted_and_nothing_is_sent()
    {
        var gone = Unique("gone");
        var alsoGone = Unique("alsogone");
        await SuppressAsync(Http, gone);
        await SuppressAsync(Http, alsoGone);

        var accepted = await PostMessageAsync(Http, gone, alsoGone);
        Assert.Equal("suppressed", (string?)accepted["status"]);
        Assert.Equal([gone, alsoGone], accepted["suppressed"]!.AsArray().Select(a => (string)a!));

        // A later message that does go out shows that delivery ran meanwhile.
        var canary = Unique("canary");
        await PostMessageAsync(Http, canary);
        await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(canary));

        var status = await Http.GetMessageAsync((string)accepted["id"]!);
        Assert.Equal("suppressed", (string?)status["status"]);
        AssertSuppressedRecipient(status, gone);
        AssertSuppressedRecipient(status, alsoGone);
        Assert.Empty(status.Events("delivered"));
        AssertNeverReceived(gone);
        AssertNeverReceived(alsoGone);
    }

    [Fact]
    public async Task Once_removed_from_the_list_the_address_receives_the_next_message()
    {
        var back = Unique("back");
        await SuppressAsync(Http, back);
        var skipped = await PostMessageAsync(Http, back);
        Assert.Equal("suppressed", (string?)skipped["status"]);

        var deleted = await Http.DeleteAsync($"/suppressions/{Uri.EscapeDataString(back)}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var accepted = await PostMessageAsync(Http, back);

        Assert.Null(accepted["suppressed"]);
        await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(back));
        await Http.WaitForStatusAsync((string)accepted["id"]!, Patience, "delivered");
    }

    [Fact]
    public async Task Another_accounts_suppression_does_not_stop_this_accounts_mail()
    {
        var shop = App.Client(await App.CreateKeyAsync($"shop{Guid.NewGuid():N}"));
        var blog = App.Client(await App.CreateKeyAsync($"blog{Guid.NewGuid():N}"));
        var carol = Unique("carol");
        await SuppressAsync(shop, carol);

        var fromBlog = await PostMessageAsync(blog, carol);
        Assert.Null(fromBlog["suppressed"]);
        await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(carol));

        var fromShop = await PostMessageAsync(shop, carol);
        Assert.Equal("suppressed", (string?)fromShop["status"]);
        Assert.Equal(HttpStatusCode.NotFound, (await blog.GetAsync($"/suppressions/{carol}")).StatusCode);
    }
}

public sealed class EmbeddedSuppressionSendTests(DeliveryWorld world) : SuppressionSendTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisSuppressionSendTests(DeliveryWorld world) : SuppressionSendTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
