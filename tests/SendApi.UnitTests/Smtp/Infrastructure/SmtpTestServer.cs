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

    private SmtpTestServer(WebApplication app, int port, RecordingMessageHandler handler, CapturingLoggerProvider logs)
    {
        _app = app;
        Port = port;
        Handler = handler;
        Logs = logs;
    }

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

    public static async Task<SmtpTestServer> StartAsync(
        SmtpListenerProfile profile, SmtpServerSettings? settings = null, TimeProvider? time = null, RecordingMessageHandler? handler = null)
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

        ListenOptions? listener = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listener = listen.UseSmtp(profile)));
        var app = builder.Build();
        await app.StartAsync();
        return new SmtpTestServer(app, ((IPEndPoint)listener!.EndPoint).Port, handler, logs);
    }

    public Task<SmtpTestClient> ConnectAsync(bool implicitTls = false) => SmtpTestClient.ConnectAsync(Port, implicitTls);

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
