using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SendApi.Smtp;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>A real Kestrel on 127.0.0.1 (port 0) speaking SMTP with the engine, as the application hosts it.</summary>
internal sealed class SmtpTestServer : IAsyncDisposable
{
    public const string Host = "mx.sendapi.test";

    /// <summary>Submission as on 587: AUTH required, offered after STARTTLS.</summary>
    public static readonly SmtpListenerProfile Submission = new("submission", ImplicitTls: false, RequireAuth: true, OfferAuth: true, AllowInsecureAuth: false);

    /// <summary>No AUTH at all, as an inbound port 25 would be: lets protocol tests skip authentication.</summary>
    public static readonly SmtpListenerProfile Open = new("open", ImplicitTls: false, RequireAuth: false, OfferAuth: false, AllowInsecureAuth: false);

    public static readonly SmtpListenerProfile InsecureAuth = new("insecure", ImplicitTls: false, RequireAuth: true, OfferAuth: true, AllowInsecureAuth: true);

    public static readonly SmtpListenerProfile ImplicitTls = new("implicit", ImplicitTls: true, RequireAuth: true, OfferAuth: true, AllowInsecureAuth: false);

    private readonly WebApplication _app;
    private readonly IReadOnlyDictionary<SmtpListenerProfile, int> _ports;

    private SmtpTestServer(WebApplication app, IReadOnlyDictionary<SmtpListenerProfile, int> ports, int port, RecordingMessageHandler handler, CapturingLoggerProvider logs)
    {
        _app = app;
        _ports = ports;
        Port = port;
        Handler = handler;
        Logs = logs;
    }

    /// <summary>The port of the first (often only) listener.</summary>
    public int Port { get; }

    public RecordingMessageHandler Handler { get; }

    public CapturingLoggerProvider Logs { get; }

    public static SmtpServerSettings Settings(bool tls = false) => new()
    {
        Hostname = Host,
        MaxMessageSize = 64 * 1024,
        MaxRecipients = 5,
        Certificate = tls ? TestCertificate.Server : null,
    };

    /// <param name="moreListeners">Further listeners on the same server (they share its settings and per-address count, as in the application).</param>
    public static async Task<SmtpTestServer> StartAsync(
        SmtpListenerProfile profile,
        SmtpServerSettings? settings = null,
        TimeProvider? time = null,
        RecordingMessageHandler? handler = null,
        params SmtpListenerProfile[] moreListeners)
    {
        handler ??= new RecordingMessageHandler();
        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<ISmtpMessageHandler>(handler);
        builder.Services.AddSingleton(settings ?? Settings());
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSmtpServer();

        SmtpListenerProfile[] profiles = [profile, .. moreListeners];
        var listeners = new Dictionary<SmtpListenerProfile, ListenOptions>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var each in profiles)
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen => listeners[each] = listen.UseSmtp(each));
            }
        });
        var app = builder.Build();
        await app.StartAsync();
        var ports = listeners.ToDictionary(l => l.Key, l => ((IPEndPoint)l.Value.EndPoint).Port);
        return new SmtpTestServer(app, ports, ports[profile], handler, logs);
    }

    public int PortOf(SmtpListenerProfile listener) => _ports[listener];

    public Task<SmtpTestClient> ConnectAsync(bool implicitTls = false) => SmtpTestClient.ConnectAsync(Port, implicitTls);

    /// <summary>
    /// Waits until <paramref name="count"/> connections from 127.0.0.1 have been admitted (both caps
    /// passed; the per-address count is taken last). Lets a test hold silent connections and know
    /// they are counted, without a handshake or a greeting to prove it.
    /// </summary>
    public async Task WaitUntilAdmittedAsync(int count)
    {
        var limiter = _app.Services.GetRequiredService<ConnectionLimiter>();
        for (var i = 0; i < 500 && limiter.OpenCount(IPAddress.Loopback) < count; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(count, limiter.OpenCount(IPAddress.Loopback));
    }

    /// <summary>True once a new connection gets the banner (slots are released when the server sees a close).</summary>
    public async Task<bool> AdmitsWithinAsync(TimeSpan limit, int? port = null)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            await using var client = await SmtpTestClient.ConnectAsync(port ?? Port);
            try
            {
                if ((await client.ReadReplyAsync()).StartsWith("220 ", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                // Closed without a reply; try again.
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>Connects, reads the banner and says EHLO.</summary>
    public async Task<SmtpTestClient> ConnectAndGreetAsync()
    {
        var client = await ConnectAsync();
        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.test"));
        return client;
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
