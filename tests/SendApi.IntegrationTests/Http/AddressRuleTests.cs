using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// HTTP and SMTP accept the same addresses: a local part of at most 64 octets, 254 in all. HTTP
/// used to take a 300-octet local part that SMTP refused.
/// </summary>
public sealed class AddressRuleTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private readonly SendApiApp _app = new(world.Settings());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData(64, HttpStatusCode.Accepted)]
    [InlineData(65, HttpStatusCode.BadRequest)]
    [InlineData(300, HttpStatusCode.BadRequest)]
    public async Task Http_takes_a_local_part_of_at_most_64_octets(int length, HttpStatusCode expected)
    {
        var to = new string('a', length) + "@nullmx.test";
        var response = await _app.Client().PostAsJsonAsync("/messages", new { from = "a@acme.test", to = new[] { to }, text = "x" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, body);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Contains("local part longer than 64 octets", (string?)JsonNode.Parse(body)!["errors"]!["to[0]"]![0]);
        }
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(300, false)]
    public async Task Smtp_takes_a_local_part_of_at_most_64_octets(int length, bool accepted)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@acme.test"));
        message.To.Add(new MailboxAddress("", new string('a', length) + "@nullmx.test"));
        message.Subject = "limits";
        message.Body = new TextPart("plain") { Text = "x" };
        _app.Client();
        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _app.SubmissionPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        if (accepted)
        {
            Assert.Contains("queued as", await client.SendAsync(message));
        }
        else
        {
            var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
            Assert.Equal(SmtpStatusCode.SyntaxError, refused.StatusCode);
            Assert.Contains("local part longer than 64 octets", refused.Message);
        }

        await client.DisconnectAsync(quit: true);
    }
}
