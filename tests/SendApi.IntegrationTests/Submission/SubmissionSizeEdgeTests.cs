using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Submission;

/// <summary>
/// The SIZE we advertise on 587 is Messages:MaxSizeBytes. A client that checks its message
/// against it (MailKit does) and sends one of exactly that size must not be refused after DATA
/// because of what we add ourselves (the Received trace header; Message-ID and Date when missing).
/// </summary>
public sealed class SubmissionSizeEdgeTests : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private const int MaxSize = 65536;

    // 100 octets under the advertised SIZE: room for nothing more than a short trace header.
    private const int Target = MaxSize - 100;

    private readonly SendApiApp _app;

    public SubmissionSizeEdgeTests(DeliveryWorld world)
    {
        _app = new SendApiApp(world.Settings(new() { ["Messages:MaxSizeBytes"] = MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        _ = _app.Client(); // starts the host, and with it the SMTP listeners
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact(Skip = "Defect (attack10): since the intake stores CRLF, a submission within ~200 octets of the advertised SIZE gets 552 after DATA, our Received header (and a Message-ID/Date we add) pushing the stored form over Messages:MaxSizeBytes. Fix proposed in the report.")]
    public async Task A_submission_within_the_advertised_SIZE_with_its_own_Message_ID_and_Date_is_accepted()
    {
        var message = new MimeMessage { Subject = "exactly the limit", Date = DateTimeOffset.UtcNow, MessageId = $"{Guid.NewGuid():N}@acme.test" };
        message.From.Add(MailboxAddress.Parse("orders@acme.test"));
        message.To.Add(MailboxAddress.Parse($"edge-{Guid.NewGuid():N}@example.test"));
        var line = new string('x', 70) + "\n";
        var text = string.Concat(Enumerable.Repeat(line, 800));
        message.Body = new TextPart("plain") { Text = text, ContentTransferEncoding = ContentEncoding.SevenBit };
        var size = SizeOf(message);
        Assert.True(size < MaxSize, $"{size}");
        // Pad the last line up to the target, as SMTP counts it (CRLF line ends).
        var pad = (int)(Target - size);
        message.Body = new TextPart("plain") { Text = text + new string('y', pad), ContentTransferEncoding = ContentEncoding.SevenBit };
        pad -= (int)(SizeOf(message) - Target);
        message.Body = new TextPart("plain") { Text = text + new string('y', pad), ContentTransferEncoding = ContentEncoding.SevenBit };
        Assert.Equal(Target, SizeOf(message));

        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" };
        await client.ConnectAsync("127.0.0.1", _app.SubmissionPort, SecureSocketOptions.StartTls);
        Assert.Equal((uint)MaxSize, client.MaxSize);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var ex = await Record.ExceptionAsync(() => client.SendAsync(message));
        Assert.True(ex is null, $"A message of {Target} octets, under the advertised SIZE {MaxSize}, was refused: {ex}");
        await client.DisconnectAsync(quit: true);
    }

    private static long SizeOf(MimeMessage message)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.EnsureNewLine = true; // as MailKit sends it
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.Length;
    }
}
