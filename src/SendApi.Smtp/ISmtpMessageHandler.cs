using System.Net;

namespace SendApi.Smtp;

/// <summary>
/// What the application decides for the SMTP server: who may authenticate, which recipients are
/// accepted, and what becomes of a received message. The protocol engine calls it and turns the
/// answers into replies; it knows nothing of API keys or queues.
/// </summary>
public interface ISmtpMessageHandler
{
    /// <summary>Checks AUTH credentials (PLAIN or LOGIN). Null when they are not valid.</summary>
    ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken);

    /// <summary>
    /// The identity of a client that may submit without AUTH (e.g. from a trusted network), or null
    /// when it must authenticate. Called once per connection.
    /// </summary>
    ValueTask<SmtpIdentity?> IdentifyWithoutAuthAsync(SmtpListenerProfile listener, IPEndPoint? remote, CancellationToken cancellationToken);

    /// <summary>Accepts (null) or refuses (the reply to send) a MAIL FROM address; "" is the null sender &lt;&gt;.</summary>
    ValueTask<SmtpServerReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken);

    /// <summary>Accepts (null) or refuses (the reply to send) one RCPT TO address.</summary>
    ValueTask<SmtpServerReply?> CheckRecipientAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a complete, dot-unstuffed message that passed every protocol check (size, line
    /// length, no bare CR/LF) and returns the final reply, e.g. "250 2.0.0 Ok: queued as &lt;id&gt;".
    /// The stream is readable once and positioned at the start of the message.
    /// </summary>
    ValueTask<SmtpServerReply> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken);
}

/// <summary>
/// A reply our SMTP server writes to its client (the model's <c>SmtpReply</c> is what a remote server
/// answered us). <paramref name="Lines"/> holds more than one line for multi-line replies.
/// </summary>
public sealed record SmtpServerReply(int Code, string EnhancedCode, params string[] Lines)
{
    public override string ToString() => $"{Code} {EnhancedCode} {string.Join(" / ", Lines)}";
}

/// <summary>Who the client is once authenticated (or trusted): what the application needs to attribute mail.</summary>
/// <param name="Name">For logs and Received headers, e.g. the API key's id.</param>
/// <param name="State">The application's own object (e.g. the API key record).</param>
public sealed record SmtpIdentity(string Name, object State);

/// <summary>The envelope of one transaction: MAIL FROM ("" for &lt;&gt;) with its parameters, and the accepted RCPT TO addresses.</summary>
public sealed record SmtpEnvelope(
    string MailFrom,
    IReadOnlyList<string> Recipients,
    bool EightBitMime,
    bool SmtpUtf8,
    long? DeclaredSize);

/// <summary>What the handler may know about the session.</summary>
public sealed record SmtpSessionInfo(
    SmtpListenerProfile Listener,
    IPEndPoint? Remote,
    string? HeloName,
    bool IsTls,
    SmtpIdentity? Identity,
    string SessionId);

/// <summary>
/// How one listener behaves. Submission (587) offers STARTTLS and requires AUTH before MAIL;
/// implicit TLS (465) starts with a TLS handshake; inbound (25) takes no AUTH.
/// </summary>
public sealed record SmtpListenerProfile(
    string Name,
    bool ImplicitTls,
    bool RequireAuth,
    bool OfferAuth,
    bool AllowInsecureAuth);
