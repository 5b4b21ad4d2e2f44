using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SendApi.Smtp;

/// <summary>
/// Kestrel hands every accepted SMTP connection to this handler (see
/// <see cref="SmtpServerExtensions.UseSmtp"/>); it admits or refuses it and runs one session.
/// </summary>
internal sealed class SmtpConnectionHandler : ConnectionHandler
{
    private readonly ISmtpMessageHandler _handler;
    private readonly SmtpServerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ConnectionLimiter _limiter;
    private readonly AuthFailureTracker _authFailures;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<SmtpConnectionHandler> _logger;
    private readonly SslStreamCertificateContext? _certificate;

    public SmtpConnectionHandler(
        ISmtpMessageHandler handler,
        SmtpServerSettings settings,
        TimeProvider time,
        ConnectionLimiter limiter,
        AuthFailureTracker authFailures,
        IHostApplicationLifetime lifetime,
        ILogger<SmtpConnectionHandler> logger)
    {
        _handler = handler;
        _settings = settings;
        _time = time;
        _limiter = limiter;
        _authFailures = authFailures;
        _lifetime = lifetime;
        _logger = logger;
        // Built once: it carries the chain sent in every handshake. Offline, so no AIA fetching.
        _certificate = settings.Certificate is null ? null : SslStreamCertificateContext.Create(settings.Certificate, additionalCertificates: null, offline: true);
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var profile = connection.Features.Get<SmtpListenerProfile>()
            ?? throw new InvalidOperationException("SMTP listeners are set up with ListenOptions.UseSmtp(profile).");
        var remote = connection.RemoteEndPoint as IPEndPoint;
        SmtpServerLog.ConnectionOpened(_logger, connection.ConnectionId, remote, profile.Name);

        using var lease = _limiter.TryAcquire(remote?.Address);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, _lifetime.ApplicationStopping);
        var smtp = new SmtpSession(connection, profile, _settings, _handler, _authFailures, _certificate, _time, session.Token, _lifetime.ApplicationStopping, _logger);
        try
        {
            await using (smtp)
            {
                await smtp.RunAsync(admitted: lease is not null);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Resets, aborts and shutdown: the client is gone, there is no one left to answer.
            SmtpServerLog.ConnectionLost(_logger, connection.ConnectionId, ex.GetType().Name);
        }
        catch (Exception ex)
        {
            SmtpServerLog.UnexpectedError(_logger, ex, connection.ConnectionId);
        }
        finally
        {
            SmtpServerLog.ConnectionClosed(_logger, connection.ConnectionId);
        }
    }
}
