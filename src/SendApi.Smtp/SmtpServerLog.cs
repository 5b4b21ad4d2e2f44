using System.Net;
using Microsoft.Extensions.Logging;

namespace SendApi.Smtp;

/// <summary>
/// The SMTP server's log events, 3000–3099 (SendApi.Smtp's range is 3000–3999, see docs/logging.md).
/// Never a password or a message body. Free in each group: 3007–3009, 3014–3019, 3023–3029,
/// 3035–3039; next free: 3044.
/// </summary>
internal static partial class SmtpServerLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "SMTP {ConnectionId} from {Remote} opened on {Listener}")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, IPEndPoint? remote, string listener);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "SMTP {ConnectionId} closed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "SMTP {ConnectionId}: refused {Remote}, which already has {Limit} connection(s) open")]
    public static partial void TooManyConnections(ILogger logger, string connectionId, IPEndPoint? remote, int limit);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: idle timeout, disconnecting")]
    public static partial void IdleTimeout(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: connection lost ({Reason})")]
    public static partial void ConnectionLost(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: client went away during DATA; nothing was delivered")]
    public static partial void DisconnectedInData(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "SMTP {ConnectionId}: refused {Remote}: listener {Listener} already has {Limit} connection(s) open (Smtp:MaxConnections)")]
    public static partial void ListenerFull(ILogger logger, string connectionId, IPEndPoint? remote, string listener, int limit);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: TLS handshake with {Remote} failed")]
    public static partial void TlsHandshakeFailed(ILogger logger, Exception exception, string connectionId, IPEndPoint? remote);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: TLS established ({Protocol}, {Cipher})")]
    public static partial void TlsEstablished(ILogger logger, string connectionId, System.Security.Authentication.SslProtocols protocol, System.Net.Security.TlsCipherSuite cipher);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Error, Message = "SMTP listener {Listener} needs TLS but no certificate is configured")]
    public static partial void NoCertificate(ILogger logger, string listener);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: TLS handshake with {Remote} not finished within {Timeout}; disconnecting")]
    public static partial void TlsHandshakeTimedOut(ILogger logger, string connectionId, IPEndPoint? remote, TimeSpan timeout);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: authenticated as {Identity} ({Mechanism})")]
    public static partial void AuthSucceeded(ILogger logger, string connectionId, string identity, string mechanism);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "SMTP {ConnectionId}: AUTH {Mechanism} failed for {Address} ({Failures} failure(s) in the window)")]
    public static partial void AuthFailed(ILogger logger, string connectionId, string mechanism, IPAddress? address, int failures);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Warning, Message = "SMTP {ConnectionId}: too many AUTH failures from {Address}; disconnecting")]
    public static partial void AuthLockedOut(ILogger logger, string connectionId, IPAddress? address);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message = "SMTP {ConnectionId}: message from {Remote} refused: bare CR, bare LF or NUL in DATA (possible SMTP smuggling)")]
    public static partial void SmugglingAttempt(ILogger logger, string connectionId, IPEndPoint? remote);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Warning, Message = "SMTP {ConnectionId}: command line from {Remote} with a bare CR or LF refused")]
    public static partial void BareNewlineInCommand(ILogger logger, string connectionId, IPEndPoint? remote);

    [LoggerMessage(EventId = 3032, Level = LogLevel.Warning, Message = "SMTP {ConnectionId}: discarded {Bytes} byte(s) pipelined after STARTTLS from {Remote} (possible command injection)")]
    public static partial void StartTlsInjection(ILogger logger, string connectionId, long bytes, IPEndPoint? remote);

    [LoggerMessage(EventId = 3033, Level = LogLevel.Information, Message = "SMTP {ConnectionId}: {Remote} spoke HTTP ({Verb}); disconnecting")]
    public static partial void HttpRequest(ILogger logger, string connectionId, IPEndPoint? remote, string verb);

    [LoggerMessage(EventId = 3034, Level = LogLevel.Information, Message = "SMTP {ConnectionId}: too many protocol errors from {Remote}; disconnecting")]
    public static partial void TooManyErrors(ILogger logger, string connectionId, IPEndPoint? remote);

    [LoggerMessage(EventId = 3040, Level = LogLevel.Error, Message = "SMTP {ConnectionId}: the message handler failed in {Stage}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string connectionId, string stage);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Error, Message = "SMTP {ConnectionId}: the message handler returned an invalid reply {Reply} in {Stage}")]
    public static partial void InvalidHandlerReply(ILogger logger, string connectionId, string reply, string stage);

    [LoggerMessage(EventId = 3043, Level = LogLevel.Debug, Message = "SMTP {ConnectionId}: the message handler is unavailable in {Stage} ({Reason}); answered with a temporary failure")]
    public static partial void HandlerUnavailable(ILogger logger, string connectionId, string stage, string reason);

    [LoggerMessage(EventId = 3042, Level = LogLevel.Error, Message = "SMTP {ConnectionId}: unexpected error; connection closed")]
    public static partial void UnexpectedError(ILogger logger, Exception exception, string connectionId);
}
