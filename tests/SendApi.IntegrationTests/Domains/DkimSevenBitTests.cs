using System.Globalization;
using System.Text;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Domains;

/// <summary>
/// A signed message with 8-bit text delivered to an MX that does not offer 8BITMIME (Postfix
/// smtp-sink -8). MailKit re-encodes for such a server only when a message is unsigned, so the
/// signer must have encoded it for 7 bits before signing: the server must get 7-bit data, and that
/// data must still verify.
/// </summary>
[Collection(DomainsCollection.Name)]
public sealed class DkimSevenBitTests : IAsyncLifetime
{
    private const string MxIp = "127.0.0.11";

    private readonly int _port = FreePort.Tcp();
    private DnsServer _dns = null!;
    private PostfixSmtpSink _sink = null!;
    private SendApiApp _app = null!;

    public async Task InitializeAsync()
    {
        _dns = await DnsServer.StartAsync(zone => zone.Mx("seven.test", "mx.seven.test", 10).A("mx.seven.test", MxIp));
        _sink = await PostfixSmtpSink.StartAsync(MxIp, _port, "-8");
        _app = new SendApiApp(new Dictionary<string, string?>
        {
            ["Dns:Servers"] = _dns.Server,
            ["Delivery:Port"] = _port.ToString(CultureInfo.InvariantCulture),
            ["Delivery:HeloName"] = "sendapi.test",
            ["Delivery:ConnectTimeout"] = "3s",
            ["Delivery:CommandTimeout"] = "15s",
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _sink.DisposeAsync();
        await _dns.DisposeAsync();
    }

    [Fact]
    public async Task Signed_eight_bit_message_reaches_a_seven_bit_server_as_seven_bit_data_that_verifies()
    {
        var shop = _app.Client(await _app.CreateKeyAsync("seven-shop"));
        var (recordName, recordValue) = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("acme.test"));
        await using var keys = await DnsServer.StartAsync(zone => zone.Txt(recordName, recordValue));

        var id = await shop.SendAsync(new
        {
            from = "orders@acme.test",
            to = new[] { "bob@seven.test" },
            subject = "Bestellung",
            text = "Grüße aus Köln — Ihre Bestellung ist unterwegs.\nVielen Dank!",
        });
        await shop.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "delivered");

        var dump = Assert.Single(_sink.ReadDumps());
        Assert.True(Ascii.IsValid(dump), $"The 7-bit server received 8-bit data:\n{dump}");
        Assert.DoesNotContain("8BITMIME", dump, StringComparison.OrdinalIgnoreCase);

        // smtp-sink's own X-* and Received lines sit above the message; DKIM ignores unsigned headers.
        var received = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(dump)));
        Assert.Equal("Grüße aus Köln — Ihre Bestellung ist unterwegs.\nVielen Dank!", received.TextBody!.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.True(await DomainsTestKit.VerifyAsync(received, keys.CreateLookupClient()));
    }
}
