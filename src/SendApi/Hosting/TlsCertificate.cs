using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SendApi.Hosting;

/// <summary>Settings under "Tls" (env <c>Tls__*</c>): the certificate for STARTTLS, port 465 and https URLs.</summary>
public sealed class TlsOptions
{
    public const string Section = "Tls";

    /// <summary>PEM certificate (chain) file.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key file.</summary>
    public string? KeyPath { get; set; }
}

/// <summary>
/// Loads the configured PEM certificate, or makes a self-signed one for the host name so that TLS
/// works out of the box (clients must then skip verification, which the start-up warning says).
/// </summary>
internal static partial class TlsCertificate
{
    public static X509Certificate2 Load(TlsOptions options, string hostname, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(options.CertificatePath) != string.IsNullOrWhiteSpace(options.KeyPath))
        {
            throw new InvalidOperationException("Tls:CertificatePath and Tls:KeyPath (env Tls__CertificatePath, Tls__KeyPath) go together: set both or neither.");
        }

        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.KeyPath);
                // Re-import so the private key is usable by SslStream on every platform.
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException(
                    $"Tls:CertificatePath / Tls:KeyPath: could not load '{options.CertificatePath}' with '{options.KeyPath}': {ex.Message}", ex);
            }
        }

        LogSelfSigned(logger, hostname);
        return SelfSigned(hostname);
    }

    private static X509Certificate2 SelfSigned(string hostname)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={hostname}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostname);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    // Log event ids 20–29 (the host's range is 1–999, see docs/logging.md); next free: 21.
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning,
        Message = "No Tls:CertificatePath / Tls:KeyPath: using a self-signed certificate for {Hostname}. SMTP clients must be told not to verify it; set Tls__CertificatePath and Tls__KeyPath (PEM) in production.")]
    private static partial void LogSelfSigned(ILogger logger, string hostname);
}
