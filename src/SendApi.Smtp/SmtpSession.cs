using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace SendApi.Smtp;

/// <summary>
/// One SMTP conversation: reads command lines, answers them in order, and runs the DATA, AUTH and
/// STARTTLS sub-dialogues. The command groups live in the other SmtpSession.*.cs files.
/// </summary>
internal sealed partial class SmtpSession : IAsyncDisposable
{
    /// <summary>Protocol errors tolerated before hanging up, as Postfix's smtpd_hard_error_limit.</summary>
    internal const int MaxErrors = 20;

    private static readonly HashSet<string> HttpVerbs = ["GET", "POST", "PUT", "HEAD", "CONNECT", "OPTIONS", "DELETE"];

    private readonly ConnectionContext _connection;
    private readonly SmtpListenerProfile _profile;
    private readonly SmtpServerSettings _settings;
    private readonly SmtpGreetings _greetings;
    private readonly ISmtpMessageHandler _handler;
    private readonly AuthFailureTracker _authFailures;
    private readonly SslStreamCertificateContext? _certificate;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;
    private readonly SmtpChannel _channel;
    private readonly CommandLineReader _lines = new();
    private readonly IPEndPoint? _remote;

    private string? _heloName;
    private SslStream? _tls;
    private SmtpIdentity? _authIdentity;
    private SmtpIdentity? _trustedIdentity;
    private Transaction? _transaction;
    private int _errors;
    private bool _closing;

    public SmtpSession(
        ConnectionContext connection,
        SmtpListenerProfile profile,
        SmtpServerSettings settings,
        SmtpGreetings greetings,
        ISmtpMessageHandler handler,
        AuthFailureTracker authFailures,
        SslStreamCertificateContext? certificate,
        TimeProvider time,
        CancellationToken stopping,
        ILogger logger)
    {
        _connection = connection;
        _profile = profile;
        _settings = settings;
        _greetings = greetings;
        _handler = handler;
        _authFailures = authFailures;
        _certificate = certificate;
        _time = time;
        _stopping = stopping;
        _logger = logger;
        _remote = connection.RemoteEndPoint as IPEndPoint;
        _channel = new SmtpChannel(connection.Transport.Input, connection.Transport.Output, time, settings.IdleTimeout, stopping);
    }

    private string Id => _connection.ConnectionId;

    private string Host => _settings.Hostname;

    private SmtpIdentity? Identity => _authIdentity ?? _trustedIdentity;

    private SmtpSessionInfo Info => new(_profile, _remote, _heloName, _tls is not null, Identity, Id);

    /// <summary>Runs the conversation of a connection already admitted under the connection caps.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (_profile.ImplicitTls && !await UpgradeToTlsAsync())
            {
                return;
            }

            // Asked before the banner: a trusted client counts as authenticated from the start. If
            // the handler can't tell now (its store is down), MAIL asks again (see IdentifyAgainAsync).
            await IdentifyWithoutAuthAsync();
            _channel.Write(_greetings.Banner);

            while (!_closing)
            {
                var line = await _lines.ReadAsync(_channel);
                if (line.Status == CommandLineStatus.Closed)
                {
                    // The client shut its sending side: the replies to what it sent are still owed.
                    await _channel.FlushAsync();
                    return;
                }

                await ExecuteAsync(line);
            }

            await _channel.FlushAsync();
            await CloseTlsAsync();
        }
        catch (OperationCanceledException) when (_channel.IdleExpired)
        {
            SmtpServerLog.IdleTimeout(_logger, Id);
            await _channel.SayGoodbyeAsync(SmtpServerReplies.Timeout(Host));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            await _channel.SayGoodbyeAsync(SmtpServerReplies.ShuttingDown(Host));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        if (_tls is not null)
        {
            await _channel.Input.CompleteAsync();
            await _channel.Output.CompleteAsync();
            await _tls.DisposeAsync();
        }
    }

    private async ValueTask ExecuteAsync(CommandLine line)
    {
        switch (line.Status)
        {
            case CommandLineStatus.TooLong:
                Error(SmtpServerReplies.LineTooLong);
                return;
            case CommandLineStatus.BareNewline:
                SmtpServerLog.BareNewlineInCommand(_logger, Id, _remote);
                Error(SmtpServerReplies.BareNewline);
                return;
            case CommandLineStatus.InvalidUtf8:
                Error(SmtpServerReplies.BadSyntax);
                return;
        }

        if (line.Text.Contains('\0'))
        {
            Error(SmtpServerReplies.BadSyntax);
            return;
        }

        var command = SmtpCommandParser.Parse(line.Text);
        switch (command.Verb)
        {
            case "EHLO":
                Hello(command.Arguments, extended: true);
                break;
            case "HELO":
                Hello(command.Arguments, extended: false);
                break;
            case "MAIL":
                await MailAsync(command.Arguments);
                break;
            case "RCPT":
                await RecipientAsync(command.Arguments);
                break;
            case "DATA":
                await DataAsync(command.Arguments);
                break;
            case "RSET":
                Reset(command.Arguments);
                break;
            case "NOOP":
                Reply(SmtpServerReplies.Ok);
                break;
            case "VRFY":
                Reply(command.Arguments.Length == 0 ? SmtpServerReplies.Syntax("VRFY address") : SmtpServerReplies.CannotVerify);
                break;
            case "HELP":
                Reply(SmtpServerReplies.Help);
                break;
            case "QUIT":
                Reply(SmtpServerReplies.Bye);
                _closing = true;
                break;
            case "STARTTLS":
                await StartTlsAsync(command.Arguments);
                break;
            case "AUTH":
                await AuthAsync(command.Arguments);
                break;
            case var verb when HttpVerbs.Contains(verb):
                // A browser tricked into posting to this port must not get its body run as SMTP.
                SmtpServerLog.HttpRequest(_logger, Id, _remote, verb);
                Reply(SmtpServerReplies.NotHttp(Host));
                _closing = true;
                break;
            case "":
                Error(SmtpServerReplies.BadSyntax);
                break;
            default:
                Error(SmtpServerReplies.UnknownCommand);
                break;
        }
    }

    private void Reply(SmtpServerReply reply) => _channel.Write(reply);

    /// <summary>A reply to a client mistake; enough of them and the client is dropped.</summary>
    private void Error(SmtpServerReply reply)
    {
        _channel.Write(reply);
        if (++_errors >= MaxErrors && !_closing)
        {
            SmtpServerLog.TooManyErrors(_logger, Id, _remote);
            _channel.Write(SmtpServerReplies.TooManyErrors(Host));
            _closing = true;
        }
    }

    /// <summary>Calls the application; a failure is logged and <paramref name="fallback"/> returned, the session goes on.</summary>
    private async ValueTask<T> CallHandlerAsync<T>(string stage, Func<CancellationToken, ValueTask<T>> call, T fallback)
    {
        try
        {
            return await call(_channel.SessionToken);
        }
        catch (SmtpHandlerUnavailableException ex)
        {
            SmtpServerLog.HandlerUnavailable(_logger, Id, stage, ex.Message);
            return fallback;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_channel.SessionToken.IsCancellationRequested)
        {
            SmtpServerLog.HandlerFailed(_logger, ex, Id, stage);
            return fallback;
        }
    }

    /// <summary>Keeps a handler's reply well-formed: a code in range, an enhanced code of the same class.</summary>
    private SmtpServerReply Checked(SmtpServerReply reply, string stage)
    {
        if (reply.Code is < 200 or > 599 || reply.Code / 100 == 3)
        {
            SmtpServerLog.InvalidHandlerReply(_logger, Id, reply.ToString(), stage);
            return SmtpServerReplies.LocalError;
        }

        var parts = reply.EnhancedCode.Split('.');
        var valid = parts.Length == 3 && parts[0] == (reply.Code / 100).ToString(System.Globalization.CultureInfo.InvariantCulture)
            && parts.Skip(1).All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
        return valid ? reply : reply with { EnhancedCode = $"{reply.Code / 100}.0.0" };
    }
}
