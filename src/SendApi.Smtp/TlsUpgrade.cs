using System.IO.Pipelines;
using System.Net.Security;

namespace SendApi.Smtp;

/// <summary>Runs the server side of a TLS handshake over a connection's transport (STARTTLS or implicit TLS).</summary>
internal static class TlsUpgrade
{
    /// <summary>The TLS stream, or null when the handshake failed or timed out (the caller then closes quietly).</summary>
    /// <param name="timeout">The whole handshake's deadline, however the client paces its bytes.</param>
    public static async Task<SslStream?> AuthenticateAsync(
        IDuplexPipe transport,
        SslStreamCertificateContext certificate,
        TimeProvider time,
        TimeSpan timeout,
        Action<Exception> onFailure,
        Action onTimeout,
        CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new DuplexPipeStream(transport), leaveInnerStreamOpen: false);
        // A client that connects and never finishes the handshake would otherwise hold its
        // connection slot until the idle timeout; this deadline is much shorter.
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await ssl.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = certificate,
                    ClientCertificateRequired = false,
                    AllowRenegotiation = false,
                },
                linked.Token);
            return ssl;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            onTimeout();
            await ssl.DisposeAsync();
            return null;
        }
        catch (Exception ex)
        {
            // Scanners, wrong ports and clients that dislike our certificate all end here; none of
            // it is the server's problem, so the caller logs it at Debug and hangs up.
            onFailure(ex);
            await ssl.DisposeAsync();
            return null;
        }
    }
}
