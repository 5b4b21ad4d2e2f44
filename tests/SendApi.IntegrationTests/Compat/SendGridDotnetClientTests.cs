using System.Net;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using SendGrid;
using SendGrid.Helpers.Errors.Model;
using SendGrid.Helpers.Mail;

namespace SendApi.IntegrationTests.Compat;

/// <summary>SendGrid's official .NET client (NuGet "SendGrid" 9.29.3), unmodified, its Host pointing at /compat/sendgrid.</summary>
public sealed class SendGridDotnetClientTests : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private readonly DeliveryWorld _world;
    private readonly SendApiApp _app;
    private readonly HttpClient _http;

    public SendGridDotnetClientTests(DeliveryWorld world)
    {
        _world = world;
        _app = new SendApiApp(world.Settings(new() { ["Tracking:BaseUrl"] = SdkRun.TrackingBaseUrl }));
        _http = _app.Client();
    }

    public Task InitializeAsync() => SdkRun.CreateTemplateAsync(_http, SendGridSdkRun.TemplateId);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private SendGridClient Client(string apiKey = SendApiApp.AdminKey) => new(new SendGridClientOptions
    {
        ApiKey = apiKey,
        Host = $"http://127.0.0.1:{_app.HttpPort}/compat/sendgrid",
        HttpErrorAsException = true,
    });

    private static string Unique(string local) => $"{local}-{Guid.NewGuid():N}@example.test";

    private async Task<ReceivedMessage> ReceivedAsync(string to) =>
        (await _world.Mx1.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), m => m.RcptTos.Contains(to)))[0];

    [Fact]
    public async Task A_single_email_is_accepted_with_its_id_and_arrives()
    {
        var to = Unique("dotnet");
        var message = MailHelper.CreateSingleEmail(new EmailAddress("sender@acme.test", "Acme"), new EmailAddress(to, "Bob"), "SendGrid .NET", "Plain body", "<p>HTML body</p>");
        message.AddCategory("receipts");
        message.AddCustomArg("order_id", "42");
        message.AddAttachment("note.txt", Convert.ToBase64String("attached"u8.ToArray()), "text/plain");

        var response = await Client().SendEmailAsync(message);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Assert.Single(response.Headers.GetValues("X-Message-Id"));
        var mime = (await ReceivedAsync(to)).Parse();
        Assert.Equal("SendGrid .NET", mime.Subject);
        Assert.Equal("Bob", mime.To.Mailboxes.Single().Name);
        Assert.Contains("<p>HTML body</p>", mime.HtmlBody);
        Assert.Equal("note.txt", Assert.Single(mime.Attachments.OfType<MimePart>()).FileName);
        var status = await _http.GetMessageAsync(id);
        Assert.Equal("42", (string?)status["metadata"]!["order_id"]);
        Assert.Equal("receipts", (string?)status["tags"]![0]);
    }

    [Fact]
    public async Task One_email_to_several_recipients_apart_is_one_message_each()
    {
        List<EmailAddress> recipients = [new(Unique("one")), new(Unique("two")), new(Unique("three"))];
        var message = MailHelper.CreateSingleEmailToMultipleRecipients(new EmailAddress("sender@acme.test"), recipients, "To each", "Hello", null, showAllRecipients: false);

        var response = await Client().SendEmailAsync(message);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(3, response.Headers.GetValues("X-Message-Id").Single().Split(',').Length);
        foreach (var recipient in recipients)
        {
            Assert.Equal([recipient.Email], (await ReceivedAsync(recipient.Email)).RcptTos);
        }
    }

    [Fact]
    public async Task Send_at_holds_the_email_until_then()
    {
        var to = Unique("later");
        var at = DateTimeOffset.UtcNow.AddSeconds(4);
        var message = MailHelper.CreateSingleEmail(new EmailAddress("sender@acme.test"), new EmailAddress(to), "Later", "Later", null);
        message.SetSendAt((int)Math.Ceiling(at.ToUnixTimeMilliseconds() / 1000.0));

        var response = await Client().SendEmailAsync(message);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = await _http.GetMessageAsync(response.Headers.GetValues("X-Message-Id").Single());
        Assert.Equal("queued", (string?)status["status"]);
        Assert.NotNull(status["scheduled_at"]);
        Assert.True((await ReceivedAsync(to)).ReceivedAt >= at, "delivered before send_at");
    }

    [Fact]
    public async Task Our_validation_errors_reach_the_clients_exception_with_message_and_field()
    {
        var message = MailHelper.CreateSingleEmail(new EmailAddress("sender@acme.test"), new EmailAddress("bob@no dots"), "x", "x", null);

        var error = await Assert.ThrowsAsync<BadRequestException>(() => Client().SendEmailAsync(message));

        Assert.Contains("Invalid address: 'bob@no dots' is not a single email address.", error.Message);
        Assert.Contains("personalizations[0].to[0].email", error.Message);
    }

    [Fact]
    public async Task An_unknown_key_is_the_clients_UnauthorizedException()
    {
        var message = MailHelper.CreateSingleEmail(new EmailAddress("sender@acme.test"), new EmailAddress(Unique("x")), "x", "x", null);

        var error = await Assert.ThrowsAsync<UnauthorizedException>(() => Client("SG.not-a-key").SendEmailAsync(message));

        Assert.Contains("Unknown API key.", error.Message);
    }

    [Fact]
    public async Task A_dynamic_template_email_arrives_rendered_with_its_data()
    {
        var to = Unique("template");
        var message = MailHelper.CreateSingleTemplateEmail(new EmailAddress("sender@acme.test"), new EmailAddress(to), SendGridSdkRun.TemplateId, new { name = "Ann" });

        var response = await Client().SendEmailAsync(message);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        CompatMail.AssertWelcome((await ReceivedAsync(to)).Parse(), "Ann");
    }

    [Fact]
    public async Task Tracking_settings_give_the_email_a_list_unsubscribe_header_and_tracked_links()
    {
        var to = Unique("tracked");
        var message = MailHelper.CreateSingleEmail(
            new EmailAddress("sender@acme.test"), new EmailAddress(to), "Tracked", "offer: https://acme.test/offer", "<p><a href=\"https://acme.test/offer\">offer</a></p>");
        message.SetClickTracking(true, false);
        message.SetOpenTracking(true);
        message.SetSubscriptionTracking(true);

        var response = await Client().SendEmailAsync(message);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var mime = (await ReceivedAsync(to)).Parse();
        CompatMail.AssertUnsubscribe(mime);
        CompatMail.AssertTracked(mime, "https://acme.test/offer");
    }

    [Fact]
    public async Task A_missing_template_is_the_clients_BadRequestException_naming_template_id()
    {
        var message = MailHelper.CreateSingleTemplateEmail(new EmailAddress("sender@acme.test"), new EmailAddress(Unique("x")), "d-00000000000000000000000000000000", new { name = "Ann" });

        var error = await Assert.ThrowsAsync<BadRequestException>(() => Client().SendEmailAsync(message));

        Assert.Contains("This account has no template 'd-00000000000000000000000000000000'.", error.Message);
        Assert.Contains("template_id", error.Message);
    }
}
