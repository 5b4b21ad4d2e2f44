using System.Net;
using System.Text;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Core.Messages;
using SendApi.Delivery.Attempts;

namespace SendApi.Delivery.Transport;

/// <summary>
/// One SMTP transaction with one MX address over MailKit: a pooled session (used as it is while
/// the server is quiet, else probed with RSET) or a new one (connect, EHLO with our name,
/// opportunistic STARTTLS), then MAIL/RCPT/DATA. Every
/// failure becomes an <see cref="SmtpReply"/>; nothing here throws for what a remote server does.
/// </summary>
internal sealed partial class SmtpTransport(SmtpConnectionPool pool, IOptions<DeliveryOptions> options, ILogger<SmtpTransport> logger)
{
    private readonly DeliveryOptions _options = options.Value;

    /// <param name="requireTls">Refuse a plaintext session (Delivery:RequireTlsDomains): the host then counts as unavailable.</param>
    public async Task<TransportResult> SendAsync(
        string host, IPAddress address, OutgoingBody body, MailboxAddress sender,
        IReadOnlyList<MailboxAddress> recipients, bool requireTls, CancellationToken cancellationToken)
    {
        var endpoint = $"{host}[{address}]:{_options.Port}";
        using var slot = await pool.AcquireAsync(new SmtpConnectionPool.PoolKey(host, address, _options.Port), cancellationToken);
        var session = await slot.TakeIdleAsync(cancellationToken);
        if (session is null)
        {
            var (client, failure) = await ConnectAsync(host, address, endpoint, SecureSocketOptions.StartTlsWhenAvailable, cancellationToken);
            if (client is null)
            {
                return failure!;
            }

            session = new SmtpConnectionPool.Session(client, client.IsEncrypted ? $"{endpoint} {client.SslProtocol}" : endpoint);
        }

        if (requireTls && !session.Client.IsEncrypted)
        {
            await SmtpConnectionPool.CloseAsync(session);
            return Unavailable(451, "4.7.5", $"TLS is required for this domain (Delivery:RequireTlsDomains) but {endpoint} offers no working STARTTLS; not sending in plaintext");
        }

        (TransportResult Result, bool Reusable) result;
        try
        {
            result = await TransactAsync(session, endpoint, body, sender, recipients, cancellationToken);
        }
        catch
        {
            // Cancellation or an exception nobody foresaw: the session's state is unknown, close it.
            await SmtpConnectionPool.CloseAsync(session);
            throw;
        }

        if (result.Reusable)
        {
            await slot.ReturnAsync(session);
        }
        else
        {
            await SmtpConnectionPool.CloseAsync(session);
        }

        return result.Result;
    }

    /// <summary>One MAIL/RCPT/DATA exchange. The session may be reused only after a clean completion.</summary>
    private async Task<(TransportResult Result, bool Reusable)> TransactAsync(
        SmtpConnectionPool.Session session, string endpoint, OutgoingBody body, MailboxAddress sender,
        IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        var client = session.Client;
        var via = session.Via;
        client.Rejected.Clear();
        try
        {
            if (!client.Capabilities.HasFlag(SmtpCapabilities.UTF8))
            {
                // RFC 6531: a non-ASCII local part may only be sent to a server that offers SMTPUTF8.
                var reply = new SmtpReply(553, "5.6.7", $"{endpoint} does not support SMTPUTF8, required for a non-ASCII address");
                if (!IsAscii(sender))
                {
                    return (new TransportResult.Answered([.. recipients.Select(_ => reply)], via), true);
                }

                foreach (var recipient in recipients.Where(r => !IsAscii(r)))
                {
                    client.Rejected[recipient.Address] = reply;
                }
            }

            var sendable = recipients.Where(r => !client.Rejected.ContainsKey(r.Address)).ToList();
            if (sendable.Count == 0)
            {
                return (Replies(recipients, client, fallback: null, via), true);
            }

            var response = body.TryVerbatim(RecordingSmtpClient.NarrowestEncoding(client.Capabilities), out var bytes, out var eightBit)
                ? await client.SendVerbatimAsync(bytes, eightBit, sender, sendable, cancellationToken)
                : await client.SendAsync(body.Message, sender, sendable, cancellationToken);
            return (Replies(recipients, client, MailKitReplies.From(250, response), via), true);
        }
        catch (NoRecipientsAcceptedException)
        {
            return (Replies(recipients, client, fallback: null, via), false);
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.SenderNotAccepted)
        {
            // With PIPELINING the RCPTs sent behind a refused MAIL were answered too ("503 need
            // MAIL first"); those replies say nothing about the recipients, so the MAIL reply
            // stands for all of them. A temporary refusal may be this host's alone: try the next.
            var reply = MailKitReplies.From(ex);
            return (reply.IsTransient
                ? new TransportResult.HostUnavailable(reply)
                : new TransportResult.Answered([.. recipients.Select(_ => reply)], via), false);
        }
        catch (SmtpCommandException ex)
        {
            // DATA refused: the reply applies to every recipient not already refused.
            return (Replies(recipients, client, MailKitReplies.From(ex), via), false);
        }
        catch (ServiceNotAuthenticatedException ex)
        {
            // "530 Authentication required" (often "STARTTLS first" after a failed handshake):
            // we cannot authenticate to an MX, but another MX, or a later try, may not ask.
            return (new TransportResult.HostUnavailable(new SmtpReply(451, "4.7.0", $"{endpoint} requires authentication: {ex.Message}")), false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            // The transaction broke off midway: whether the peer kept the message is unknown, so
            // try again later (a rare duplicate beats a lost message).
            return (Replies(recipients, client, new SmtpReply(451, "4.4.2", $"Connection to {endpoint} lost during the transaction: {ex.Message}"), via), false);
        }
    }

    /// <summary>Each recipient's own refusal if it had one, otherwise <paramref name="fallback"/>.</summary>
    private static TransportResult.Answered Replies(IReadOnlyList<MailboxAddress> recipients, RecordingSmtpClient client, SmtpReply? fallback, string via) =>
        new([.. recipients.Select(r => client.Rejected.TryGetValue(r.Address, out var own) ? own : fallback
            ?? throw new InvalidOperationException($"No reply recorded for {r.Address}"))], via);

    private static bool IsAscii(MailboxAddress mailbox) => Ascii.IsValid(mailbox.LocalPart);

    private async Task<(RecordingSmtpClient? Client, TransportResult? Failure)> ConnectAsync(
        string host, IPAddress address, string endpoint, SecureSocketOptions tls, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        RecordingSmtpClient? client = null;
        try
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.ConnectTimeoutValue);
                await socket.ConnectAsync(new IPEndPoint(address, _options.Port), timeout.Token);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var why = ex is SocketException se ? se.SocketErrorCode.ToString() : "timed out";
                return (null, Unavailable(451, "4.4.1", $"Connection to {endpoint} failed: {why}"));
            }

            client = new RecordingSmtpClient
            {
                LocalDomain = _options.HeloName,
                Timeout = (int)_options.CommandTimeoutValue.TotalMilliseconds,
                // Opportunistic TLS (RFC 7435): MX certificates rarely match the name we looked up, and
                // unauthenticated encryption is still better than plaintext. Domains that require
                // verified TLS are a separate, stricter setting.
                ServerCertificateValidationCallback = (_, _, _, _) => true,
                CheckCertificateRevocation = false,
            };
            // Over our own stream, which sends MailKit's 4 KB writes gathered (SmtpWireStream).
            await client.ConnectAsync(new SmtpWireStream(socket), host, _options.Port, tls, cancellationToken);
            client.Socket = socket;
            var connected = client;
            client = null;
            return (connected, null);
        }
        catch (Exception ex) when (tls != SecureSocketOptions.None
            && (ex is SslHandshakeException || (ex is SmtpCommandException { StatusCode: (SmtpStatusCode)454 })))
        {
            // Like Postfix: a failed or refused opportunistic STARTTLS falls back to plaintext.
            LogTlsFallback(logger, endpoint, ex.Message);
            return await ConnectAsync(host, address, endpoint, SecureSocketOptions.None, cancellationToken);
        }
        catch (SmtpCommandException ex)
        {
            // A refusing greeting (554, 421) or EHLO: this host will not take mail now.
            return (null, new TransportResult.HostUnavailable(MailKitReplies.From(ex)));
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            return (null, Unavailable(451, "4.4.2", $"Session with {endpoint} failed before the transaction: {ex.Message}"));
        }
        finally
        {
            // Until MailKit holds a connected session, the socket (and the client) are ours to close.
            if (client is not null)
            {
                client.Dispose();
                socket.Dispose();
            }
            else if (!socket.Connected)
            {
                socket.Dispose();
            }
        }
    }

    private static TransportResult.HostUnavailable Unavailable(int code, string enhanced, string text) =>
        new(new SmtpReply(code, enhanced, text));

    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is IOException or SocketException or SmtpProtocolException or TimeoutException or ServiceNotConnectedException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    // Log event ids 2100–2199 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2102.
    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "STARTTLS with {Endpoint} failed ({Reason}); retrying without TLS")]
    private static partial void LogTlsFallback(ILogger logger, string endpoint, string reason);
}

/// <summary>
/// Keeps each refused recipient's reply instead of throwing on the first one, and sends a
/// <see cref="VerbatimPart"/> message as its bytes: not prepared again, and its size known.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    /// <summary>
    /// The format options a <see cref="VerbatimPart"/> message is sent with: the headers it has only
    /// for MailKit's sake hidden (nothing else of it is MimeKit's to write; MailKit's hiding of Bcc,
    /// Resent-Bcc and Content-Length was applied when the bytes were chosen).
    /// </summary>
    public static readonly FormatOptions VerbatimOptions = CreateVerbatimOptions();

    // One of each per session, reused transaction after transaction (parsing one allocates 4 KB).
    private MimeMessage? _sevenBitCarrier;
    private MimeMessage? _eightBitCarrier;

    public Dictionary<string, SmtpReply> Rejected { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Sends <paramref name="bytes"/> as they are (LF line ends as CRLF), dot-stuffed, with their size in SIZE=.</summary>
    /// <param name="eightBit">Whether a part is 8bit: BODY=8BITMIME to a server that offers it, as MailKit decides for a message.</param>
    public async Task<string> SendVerbatimAsync(
        ReadOnlyMemory<byte> bytes, bool eightBit, MailboxAddress sender, IEnumerable<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        var carrier = eightBit ? _eightBitCarrier ??= VerbatimPart.Carrier(eightBit: true) : _sevenBitCarrier ??= VerbatimPart.Carrier(eightBit: false);
        var part = (VerbatimPart)carrier.Body!;
        part.Hold(bytes);
        try
        {
            return await SendAsync(VerbatimOptions, carrier, sender, recipients, cancellationToken);
        }
        finally
        {
            part.Hold(ReadOnlyMemory<byte>.Empty);
        }
    }

    /// <summary>The encoding a server takes, as MailKit decides it before it prepares a message for the server.</summary>
    public static EncodingConstraint NarrowestEncoding(SmtpCapabilities capabilities) =>
        capabilities.HasFlag(SmtpCapabilities.BinaryMime) ? EncodingConstraint.None
        : capabilities.HasFlag(SmtpCapabilities.EightBitMime) ? EncodingConstraint.EightBit
        : EncodingConstraint.SevenBit;

    /// <summary>The connection MailKit speaks over (set once connected): <see cref="IsQuiet"/> looks at it.</summary>
    public Socket? Socket { get; set; }

    /// <summary>
    /// Whether the server has neither closed nor reset the connection nor sent anything since its last
    /// reply, as the kernel knows it now, without a round trip: a FIN, an RST or an unasked line (a
    /// "421 closing" before a server hangs up) all make the socket readable. False when in doubt.
    /// </summary>
    public bool IsQuiet()
    {
        try
        {
            return Socket is { } socket && !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>RSET on a reused session: true when the server answered 250, i.e. the session is alive and clean.</summary>
    public async Task<bool> TryResetAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await SendCommandAsync("RSET", cancellationToken);
            return response.StatusCode == SmtpStatusCode.Ok;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException or TimeoutException)
        {
            return false;
        }
    }

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        Rejected[mailbox.Address] = MailKitReplies.From(response);

    protected override void OnNoRecipientsAccepted(MimeMessage message) => throw new NoRecipientsAcceptedException();

    protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
    {
        // A verbatim message is already in the form this server takes (OutgoingBody chose it for
        // this constraint); MimeKit would also add a MIME-Version header to the empty carrier.
        if (message.Body is not VerbatimPart)
        {
            base.Prepare(options, message, constraint, maxLineLength);
        }
    }

    // SIZE=: MailKit measures a message by writing it once more into a counting stream.
    protected override long GetSize(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        message.Body is VerbatimPart verbatim ? verbatim.Length : base.GetSize(options, message, cancellationToken);

    protected override Task<long> GetSizeAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        message.Body is VerbatimPart verbatim ? Task.FromResult(verbatim.Length) : base.GetSizeAsync(options, message, cancellationToken);

    private static FormatOptions CreateVerbatimOptions()
    {
        var options = FormatOptions.Default.Clone();
        foreach (var id in VerbatimPart.OwnHeaders)
        {
            options.HiddenHeaders.Add(id);
        }

        return options;
    }
}

internal sealed class NoRecipientsAcceptedException : Exception
{
    public NoRecipientsAcceptedException()
        : base("No recipient was accepted")
    {
    }
}
