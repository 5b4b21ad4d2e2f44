using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SendApi.Core.Diagnostics;

namespace SendApi.Smtp;

/// <summary>
/// Kestrel hands every accepted SMTP connection to this handler (see
/// <see cref="SmtpServerExtensions.UseSmtp"/>); it admits or refuses it and runs one session.
/// </summary>
internal sealed class SmtpConnectionHandler : ConnectionHandler
{
    private readonly ISmtpMessageHandler _handler;
    private readonly SmtpServerSettings _settings;
    private readonly SmtpGreetings _greetings;
    private readonly TimeProvider _time;
    private readonly ConnectionLimiter _limiter;
    private readonly AuthFailureTracker _authFailures;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<SmtpConnectionHandler> _logger;
    private readonly SendApiMetrics _metrics;
    private readonly SslStreamCertificateContext? _certificate;

    public SmtpConnectionHandler(
        ISmtpMessageHandler handler,
        SmtpServerSettings settings,
        TimeProvider time,
        ConnectionLimiter limiter,
        AuthFailureTracker authFailures,
        IHostApplicationLifetime lifetime,
        ILogger<SmtpConnectionHandler> logger,
        SendApiMetrics metrics)
    {
        _handler = handler;
        _settings = settings;
        _greetings = new SmtpGreetings(settings);
        _time = time;
        _limiter = limiter;
        _authFailures = authFailures;
        _lifetime = lifetime;
        _logger = logger;
        _metrics = metrics;
        // Built once: it carries the chain sent in every handshake. Offline, so no AIA fetching.
        _certificate = settings.Certificate is null ? null : SslStreamCertificateContext.Create(settings.Certificate, additionalCertificates: null, offline: true);
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var profile = connection.Features.Get<SmtpListenerProfile>()
            ?? throw new InvalidOperationException("SMTP listeners are set up with ListenOptions.UseSmtp(profile).");
        var capacity = connection.Features.Get<ListenerCapacity>()
            ?? throw new InvalidOperationException("SMTP listeners are set up with ListenOptions.UseSmtp(profile).");
        var remote = connection.RemoteEndPoint as IPEndPoint;
        SmtpServerLog.ConnectionOpened(_logger, connection.ConnectionId, remote, profile.Name);
        _metrics.SmtpSession(profile.Name);

        try
        {
            // Both caps are decided before a byte is read and before any TLS handshake: a refused
            // client costs an accept, never a handshake, and can't hold its socket past the refusal.
            // (The order matters little: a connection refused by either gives its place back at once.)
            using var slot = capacity.TryEnter(_settings.MaxConnections);
            if (slot is null)
            {
                SmtpServerLog.ListenerFull(_logger, connection.ConnectionId, remote, profile.Name, _settings.MaxConnections);
                await RefuseAsync(connection, profile, SmtpServerReplies.ListenerFull(_settings.Hostname));
                return;
            }

            using var lease = await _limiter.TryAcquireAsync(remote?.Address, connection.ConnectionId, connection.ConnectionClosed);
            if (lease is null)
            {
                SmtpServerLog.TooManyConnections(_logger, connection.ConnectionId, remote, _settings.MaxConnectionsPerIp);
                await RefuseAsync(connection, profile, SmtpServerReplies.TooManyConnections);
                return;
            }

            // Not ended by connection.ConnectionClosed: Kestrel may fire it at the client's FIN, and
            // a client that writes its commands, QUIT included, and then shuts its sending side
            // (`printf … | nc -N`) is still reading and owed every reply. The end of the input ends
            // the session once what came before it is answered; a reset fails the next write.
            var smtp = new SmtpSession(connection, profile, _settings, _greetings, _handler, _authFailures, _certificate, _time, _lifetime.ApplicationStopping, _logger);
            await using (smtp)
            {
                await smtp.RunAsync();
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

    /// <summary>Tells a client over a cap so (421) and lets Kestrel close the connection.</summary>
    private static async Task RefuseAsync(ConnectionContext connection, SmtpListenerProfile profile, SmtpServerReply reply)
    {
        if (profile.ImplicitTls)
        {
            // A 421 could only be read inside TLS, and a handshake is the most expensive thing a
            // client can make us do (an asymmetric signature each): handshaking with the crowd a
            // cap exists to turn away would hand it the CPU instead. A mail client or MTA takes a
            // connection closed before the greeting as a failed attempt and retries later, as it
            // would after a 421.
            return;
        }

        // One line sits far below the pipe's pause threshold, so this completes without waiting
        // for the client to read: a refused client can't keep its socket open by not reading.
        SmtpReplyWriter.Write(reply, connection.Transport.Output);
        await connection.Transport.Output.FlushAsync(connection.ConnectionClosed);
    }
}
