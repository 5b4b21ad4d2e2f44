using System.Security.Cryptography.X509Certificates;

namespace SendApi.Smtp;

/// <summary>
/// The resolved limits and identity of the SMTP server, built by the host from configuration
/// (already validated there). Kept free of configuration binding so the protocol stays testable.
/// </summary>
public sealed class SmtpServerSettings
{
    /// <summary>Our name in the banner, EHLO reply and Received header.</summary>
    public required string Hostname { get; init; }

    /// <summary>Largest message accepted (SIZE), in octets after dot-unstuffing.</summary>
    public long MaxMessageSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>Most RCPT TO per transaction; more get 452 4.5.3.</summary>
    public int MaxRecipients { get; init; } = 50;

    /// <summary>A client silent this long is told 421 and disconnected (RFC 5321 §4.5.3.2 suggests 5 minutes).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A TLS handshake (implicit TLS, or after STARTTLS) not finished within this is abandoned and the
    /// connection closed. Much shorter than <see cref="IdleTimeout"/>: a client that connects and
    /// never speaks TLS holds a connection slot for nothing.
    /// </summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Simultaneous connections on one listener, from everyone together; one more is told
    /// 421 4.7.0 and closed (on implicit TLS, closed without a handshake). Bounds the sockets,
    /// memory and TLS state any crowd of clients can make one listener hold.
    /// </summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>Simultaneous connections from one IP address; one more is told 421 4.7.0 and closed (on implicit TLS, closed without a handshake).</summary>
    public int MaxConnectionsPerIp { get; init; } = 20;

    /// <summary>
    /// Networks not held to <see cref="MaxConnectionsPerIp"/>: the operator's own application
    /// servers (the submission listeners' trusted networks), which legitimately open many
    /// sessions from one address, as Postfix exempts <c>mynetworks</c> from its client limits.
    /// They are still held to <see cref="MaxConnections"/> (see <see cref="ListenerCapacity"/>).
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> ConnectionLimitExemptions { get; init; } = [];

    /// <summary>Failed AUTH attempts from one IP (within <see cref="AuthFailureWindow"/>) after which replies are delayed.</summary>
    public int AuthFailuresBeforeDelay { get; init; } = 3;

    /// <summary>Failed AUTH attempts from one IP after which the client is told 421 and disconnected.</summary>
    public int AuthFailuresBeforeDisconnect { get; init; } = 10;

    public TimeSpan AuthFailureWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long each failed AUTH reply is held back once the delay threshold is passed.</summary>
    public TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The TLS certificate for STARTTLS and implicit TLS; null disables both.</summary>
    public X509Certificate2? Certificate { get; init; }
}
