using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using SendApi.IntegrationTests.Harness;
using SendApi.Smtp;

namespace SendApi.IntegrationTests.Submission;

/// <summary>
/// The connection settings as an operator sets them (Smtp__MaxConnections, Smtp__MaxConnectionsPerIp,
/// Smtp__TlsHandshakeTimeout) hold on the application's real listeners.
/// </summary>
public sealed class ConnectionCapTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Port_465_closes_a_connection_over_the_per_ip_cap_without_waiting_for_a_handshake()
    {
        await using var app = Start(new() { ["Smtp:MaxConnectionsPerIp"] = "1" });
        using var silent = await ConnectAsync(app.SubmissionTlsPort);
        await WaitUntilAdmittedAsync(app, 1);

        var watch = Stopwatch.StartNew();
        using var refused = await ConnectAsync(app.SubmissionTlsPort);

        Assert.True(await ClosesAsync(refused), "the connection over the cap was kept open");
        Assert.True(watch.Elapsed < Prompt, $"closed after {watch.Elapsed}");
    }

    [Fact]
    public async Task Smtp_MaxConnections_answers_421_on_its_listener_even_to_a_trusted_network()
    {
        await using var app = Start(new()
        {
            ["Smtp:MaxConnections"] = "1",
            ["Smtp:Submission:TrustedNetworks"] = "127.0.0.0/8",
            ["Smtp:Submission:TrustedApiKey"] = SendApiApp.AdminKey,
        });
        using var first = await ConnectAsync(app.SubmissionPort);
        var firstSmtp = new RawSmtp(first.GetStream());
        Assert.StartsWith("220 ", await firstSmtp.ReadReplyAsync());

        using var second = await ConnectAsync(app.SubmissionPort);
        var reply = await new RawSmtp(second.GetStream()).ReadReplyAsync();

        Assert.Equal("421 4.7.0 sendapi.test Too many connections, try again later", reply.TrimEnd());
        Assert.True(await ClosesAsync(second));

        // Port 25 has its own count: bounces still get in while 587 is full.
        using var inbound = await ConnectAsync(app.InboundPort);
        Assert.StartsWith("220 ", await new RawSmtp(inbound.GetStream()).ReadReplyAsync());
    }

    [Fact]
    public async Task Smtp_TlsHandshakeTimeout_drops_a_client_that_never_speaks_TLS()
    {
        await using var app = Start(new() { ["Smtp:TlsHandshakeTimeout"] = "1s" });
        using var silent = await ConnectAsync(app.SubmissionTlsPort);
        await WaitUntilAdmittedAsync(app, 1);

        var watch = Stopwatch.StartNew();
        Assert.True(await ClosesAsync(silent), "the silent client was kept past the handshake timeout");
        Assert.True(watch.Elapsed < Prompt, $"closed after {watch.Elapsed}; the idle timeout is 5 minutes");
    }

    [Theory]
    [InlineData("Smtp:MaxConnections", "0", "Smtp__MaxConnections")]
    [InlineData("Smtp:TlsHandshakeTimeout", "soon", "Smtp__TlsHandshakeTimeout")]
    public async Task A_bad_connection_setting_fails_the_start_naming_it(string setting, string value, string named)
    {
        await using var app = new SendApiApp(new Dictionary<string, string?> { [setting] = value });

        var ex = Assert.ThrowsAny<Exception>(() => app.Client());

        Assert.Contains(named, string.Join("\n", Flatten(ex).Select(e => e.Message)));
    }

    private static SendApiApp Start(Dictionary<string, string?> settings)
    {
        settings["Smtp:Hostname"] = "sendapi.test";
        var app = new SendApiApp(settings);
        app.Client(); // starts the listeners
        return app;
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        return tcp;
    }

    /// <summary>The server's own count of connections from 127.0.0.1 that passed both caps.</summary>
    private static async Task WaitUntilAdmittedAsync(SendApiApp app, int count)
    {
        var limiter = app.Services.GetRequiredService<ConnectionLimiter>();
        for (var i = 0; i < 500 && limiter.OpenCount(IPAddress.Loopback) < count; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(count, limiter.OpenCount(IPAddress.Loopback));
    }

    /// <summary>True when the server closes the connection (end of stream or reset) within <see cref="Prompt"/>.</summary>
    private static async Task<bool> ClosesAsync(TcpClient tcp)
    {
        using var timeout = new CancellationTokenSource(Prompt);
        var buffer = new byte[512];
        try
        {
            while (await tcp.GetStream().ReadAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static IEnumerable<Exception> Flatten(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
