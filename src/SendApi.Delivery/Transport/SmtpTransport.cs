using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Core.Messages;

namespace SendApi.Delivery.Transport;

/// <summary>
/// One SMTP transaction with one MX address over MailKit: connect, EHLO with our name,
/// opportunistic STARTTLS, MAIL/RCPT/DATA, QUIT. Every failure becomes an <see cref="SmtpReply"/>;
/// nothing here throws for what a remote server does.
/// </summary>
internal sealed partial class SmtpTransport(IOptions<DeliveryOptions> options, ILogger<SmtpTransport> logger)
{
    private readonly DeliveryOptions _options = options.Value;

    public async Task<TransportResult> SendAsync(
        string host, IPAddress address, MimeMessage message, MailboxAddress sender,
        IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        var endpoint = $"{host}[{address}]:{_options.Port}";
        var (client, failure) = await ConnectAsync(host, address, endpoint, SecureSocketOptions.StartTlsWhenAvailable, cancellationToken);
        if (client is null)
        {
            return failure!;
        }

        using (client)
        {
            var via = client.IsEncrypted ? $"{endpoint} {client.SslProtocol}" : endpoint;
            try
            {
                var response = await client.SendAsync(message, sender, recipients, cancellationToken);
                var accepted = SmtpReplies.From(250, response);
                return new TransportResult.Answered([.. recipients.Select(r => client.Rejected.GetValueOrDefault(r.Address, accepted))], via);
            }
            catch (NoRecipientsAcceptedException)
            {
                return new TransportResult.Answered([.. recipients.Select(r => client.Rejected[r.Address])], via);
            }
            catch (SmtpCommandException ex)
            {
                // MAIL FROM or DATA refused: the reply applies to every recipient not already refused.
                var reply = SmtpReplies.From(ex);
                return new TransportResult.Answered([.. recipients.Select(r => client.Rejected.GetValueOrDefault(r.Address, reply))], via);
            }
            catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
            {
                // The transaction broke off midway: whether the peer kept the message is unknown, so
                // try again later (a rare duplicate beats a lost message).
                var reply = new SmtpReply(451, "4.4.2", $"Connection to {endpoint} lost during the transaction: {ex.Message}");
                return new TransportResult.Answered([.. recipients.Select(r => client.Rejected.GetValueOrDefault(r.Address, reply))], via);
            }
            finally
            {
                await QuitQuietlyAsync(client);
            }
        }
    }

    private async Task<(RecordingSmtpClient? Client, TransportResult? Failure)> ConnectAsync(
        string host, IPAddress address, string endpoint, SecureSocketOptions tls, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.ConnectTimeoutValue);
                await socket.ConnectAsync(new IPEndPoint(address, _options.Port), timeout.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            socket.Dispose();
            var why = ex is SocketException se ? se.SocketErrorCode.ToString() : "timed out";
            return (null, Unavailable(451, "4.4.1", $"Connection to {endpoint} failed: {why}"));
        }

        var client = new RecordingSmtpClient
        {
            LocalDomain = _options.HeloName,
            Timeout = (int)_options.CommandTimeoutValue.TotalMilliseconds,
            // Opportunistic TLS (RFC 7435): MX certificates rarely match the name we looked up, and
            // unauthenticated encryption is still better than plaintext. Domains that require
            // verified TLS are a separate, stricter setting.
            ServerCertificateValidationCallback = (_, _, _, _) => true,
            CheckCertificateRevocation = false,
        };
        try
        {
            await client.ConnectAsync(socket, host, _options.Port, tls, cancellationToken);
            return (client, null);
        }
        catch (SslHandshakeException ex) when (tls != SecureSocketOptions.None)
        {
            // Like Postfix: a failed opportunistic handshake falls back to a plaintext session.
            client.Dispose();
            LogTlsFallback(logger, endpoint, ex.Message);
            return await ConnectAsync(host, address, endpoint, SecureSocketOptions.None, cancellationToken);
        }
        catch (SmtpCommandException ex)
        {
            client.Dispose();
            var reply = SmtpReplies.From(ex);
            return (null, new TransportResult.HostUnavailable(reply));
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            client.Dispose();
            return (null, Unavailable(451, "4.4.2", $"Session with {endpoint} failed before the transaction: {ex.Message}"));
        }
    }

    private static TransportResult.HostUnavailable Unavailable(int code, string enhanced, string text) =>
        new(new SmtpReply(code, enhanced, text));

    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is IOException or SocketException or SmtpProtocolException or TimeoutException or ServiceNotConnectedException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static async Task QuitQuietlyAsync(SmtpClient client)
    {
        if (!client.IsConnected)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(quit: true, timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or OperationCanceledException or TimeoutException)
        {
            // The message's fate was settled before QUIT; a peer that hangs up first changes nothing.
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "STARTTLS with {Endpoint} failed ({Reason}); retrying without TLS")]
    private static partial void LogTlsFallback(ILogger logger, string endpoint, string reason);
}

/// <summary>Keeps each refused recipient's reply instead of throwing on the first one.</summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    public Dictionary<string, SmtpReply> Rejected { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        Rejected[mailbox.Address] = SmtpReplies.From(response);

    protected override void OnNoRecipientsAccepted(MimeMessage message) => throw new NoRecipientsAcceptedException();
}

internal sealed class NoRecipientsAcceptedException : Exception
{
    public NoRecipientsAcceptedException()
        : base("No recipient was accepted")
    {
    }
}
