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

    [Fact]
    public async Task A_submission_within_the_advertised_SIZE_with_its_own_Message_ID_and_Date_is_accepted()
    {
        var message = new MimeMessage { Subject = "near the limit", Date = DateTimeOffset.UtcNow, MessageId = $"{Guid.NewGuid():N}@acme.test" };
        message.From.Add(MailboxAddress.Parse("orders@acme.test"));
        message.To.Add(MailboxAddress.Parse($"edge-{Guid.NewGuid():N}@example.test"));
        var line = new string('x', 70) + "\n";
        var text = string.Concat(Enumerable.Repeat(line, 800));
        message.Body = new TextPart("plain") { Text = text, ContentTransferEncoding = ContentEncoding.SevenBit };
        var size = SizeOf(message);
        Assert.True(size < MaxSize, $"{size}");
        // Pad the last line up to the target, as SMTP counts it (CRLF line ends).
        // Lines of at most 72 octets, so that no client re-encodes the part (a longer line would be quoted-printable).
        message.Body = new TextPart("plain") { Text = text + Padding((int)(Target - size)), ContentTransferEncoding = ContentEncoding.SevenBit };
        Assert.Equal(Target, SizeOf(message));

        var transcript = new MemoryStream();
        using var client = new SmtpClient(new MailKit.ProtocolLogger(transcript, leaveOpen: true)) { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" };
        await client.ConnectAsync("127.0.0.1", _app.SubmissionPort, SecureSocketOptions.StartTls);
        Assert.Equal((uint)MaxSize, client.MaxSize);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var ex = await Record.ExceptionAsync(() => client.SendAsync(message));
        Assert.True(ex is null, $"A message of {Target} octets, under the advertised SIZE {MaxSize}, was refused: {ex?.Message}; transcript: {Tail(transcript)}");
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>Text of exactly <paramref name="octets"/> octets once written with CRLF line ends (at least 2).</summary>
    private static string Padding(int octets)
    {
        var padding = new System.Text.StringBuilder();
        for (; octets > 72; octets -= 72)
        {
            padding.Append('y', 70).Append('\n');
        }

        return padding.Append('z', octets - 2).Append('\n').ToString();
    }

    private static string Tail(MemoryStream transcript)
    {
        var text = System.Text.Encoding.UTF8.GetString(transcript.ToArray());
        return string.Join("\n", text.Split('\n').Where(l => l.Length < 200));
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
