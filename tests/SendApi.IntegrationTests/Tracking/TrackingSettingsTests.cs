using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Tracking;

/// <summary>
/// A server without Tracking:BaseUrl: a message that asks for links is refused with an answer that
/// names the setting, on every channel, and one that does not ask is sent as before; bad values are 400.
/// </summary>
public sealed class TrackingSettingsTests : IAsyncLifetime
{
    private readonly SendApiApp _app = new(new Dictionary<string, string?>());
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _http = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("unsubscribe")]
    [InlineData("track_opens")]
    [InlineData("track_clicks")]
    public async Task Asking_for_links_without_a_base_url_is_a_400_naming_the_setting(string field)
    {
        var body = new JsonObject { ["from"] = "a@acme.test", ["to"] = "b@example.test", ["subject"] = "s", ["html"] = "<p>x</p>", [field] = true };

        var response = await _http.PostAsJsonAsync("/messages", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("Tracking__BaseUrl", (string?)problem["errors"]![field]![0]);
    }

    [Fact]
    public async Task A_template_asking_for_unsubscribe_links_without_a_base_url_is_a_400_naming_the_setting()
    {
        var response = await _http.PostAsJsonAsync("/templates", new { name = "news", subject = "s", text = "x", unsubscribe = true });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("Tracking__BaseUrl", (string?)problem["errors"]!["unsubscribe"]![0]);
    }

    [Fact]
    public async Task A_batch_item_asking_for_links_is_refused_alone()
    {
        var response = await _http.PostAsJsonAsync("/messages/batch", new object[]
        {
            new { from = "a@acme.test", to = "b@example.test", subject = "s", text = "x", unsubscribe = true },
            new { from = "a@acme.test", to = "b@example.test", subject = "s", text = "x", unsubscribe = false },
        });

        var results = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(400, (int?)results[0]!["status"]);
        Assert.Contains("Tracking__BaseUrl", results[0]!["errors"]!["[0].unsubscribe"]![0]!.ToString());
        Assert.Equal("queued", (string?)results[1]!["status"]);
    }

    [Theory]
    [InlineData("\"yes\"")]
    [InlineData("1")]
    public async Task A_field_that_is_not_a_boolean_is_a_400(string value)
    {
        using var content = new StringContent($$"""{"from":"a@acme.test","to":"b@example.test","subject":"s","text":"x","track_opens":{{value}}}""", System.Text.Encoding.UTF8, "application/json");

        var response = await _http.PostAsync("/messages", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType!.ToString());
    }

    [Theory]
    [InlineData("X-SendApi-Track", "opens", "Tracking__BaseUrl")]
    [InlineData("X-SendApi-Track", "everything", "X-SendApi-Track: opens, clicks")]
    [InlineData("X-SendApi-Unsubscribe", "maybe", "X-SendApi-Unsubscribe: true or false")]
    public async Task SMTP_submission_asking_for_links_it_cannot_have_is_refused_permanently(string header, string value, string why)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@acme.test"));
        message.To.Add(MailboxAddress.Parse("b@example.test"));
        message.Subject = "s";
        message.Headers.Add(header, value);
        message.Body = new TextPart("html") { Text = "<p>x</p>" };
        using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await smtp.ConnectAsync("127.0.0.1", _app.SubmissionPort, SecureSocketOptions.StartTls);
        await smtp.AuthenticateAsync("apikey", SendApiApp.AdminKey);

        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(message));

        Assert.Equal(550, (int)refused.StatusCode);
        Assert.Contains(why, refused.Message, StringComparison.Ordinal);
    }
}
