using System.IO.Pipelines;

namespace SendApi.Smtp;

/// <summary>STARTTLS (RFC 3207) and the handshake shared with implicit TLS (RFC 8314).</summary>
internal sealed partial class SmtpSession
{
    private async ValueTask StartTlsAsync(string arguments)
    {
        if (arguments.Length > 0)
        {
            Error(SmtpServerReplies.NoArguments);
            return;
        }

        if (_tls is not null)
        {
            Error(SmtpServerReplies.AlreadyTls);
            return;
        }

        if (_certificate is null)
        {
            Reply(SmtpServerReplies.TlsNotAvailable);
            return;
        }

        if (_transaction is not null)
        {
            Error(SmtpServerReplies.TransactionInProgress);
            return;
        }

        Reply(SmtpServerReplies.ReadyForTls);
        await _channel.FlushAsync();

        // CVE-2011-0411: whatever the client sent after STARTTLS arrived in plaintext, possibly
        // injected by a man in the middle. It must never be read as commands of the TLS session.
        var injected = _channel.DiscardBuffered();
        if (injected > 0)
        {
            SmtpServerLog.StartTlsInjection(_logger, Id, injected, _remote);
        }

        if (!await UpgradeToTlsAsync())
        {
            _closing = true;
            return;
        }

        // RFC 3207 §4.2: forget what the client said before TLS; it must EHLO again. A trusted
        // network identity depends on the address alone, so it stays.
        _heloName = null;
        _authIdentity = null;
        _transaction = null;
    }

    private async ValueTask<bool> UpgradeToTlsAsync()
    {
        if (_certificate is null)
        {
            SmtpServerLog.NoCertificate(_logger, _profile.Name);
            return false;
        }

        var tls = await TlsUpgrade.AuthenticateAsync(
            _connection.Transport,
            _certificate,
            _time,
            _settings.TlsHandshakeTimeout,
            ex => SmtpServerLog.TlsHandshakeFailed(_logger, ex, Id, _remote),
            () => SmtpServerLog.TlsHandshakeTimedOut(_logger, Id, _remote, _settings.TlsHandshakeTimeout),
            _channel.SessionToken);
        if (tls is null)
        {
            return false;
        }

        _tls = tls;
        _channel.SwitchTo(
            PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true)));
        SmtpServerLog.TlsEstablished(_logger, Id, tls.SslProtocol, tls.NegotiatedCipherSuite);
        return true;
    }

    /// <summary>Sends TLS close_notify after QUIT, so strict clients don't report a truncated session.</summary>
    private async ValueTask CloseTlsAsync()
    {
        if (_tls is null)
        {
            return;
        }

        try
        {
            await _tls.ShutdownAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client hung up first; nothing is lost.
        }
    }
}
