using System.Net;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Submission;
using SendApi.Core;
using SendApi.Smtp;

namespace SendApi.Hosting;

/// <summary>
/// Every listening socket of the service: HTTP, SMTP submission on 587 (STARTTLS) and 465
/// (implicit TLS), inbound SMTP on 25, all in Kestrel. The TLS certificate is loaded (or made) once, at start.
/// </summary>
internal static class ListenerHosting
{
    public static WebApplicationBuilder AddSendApiListeners(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section);
        builder.Services.AddSingleton(sp => TlsCertificate.Load(
            sp.GetRequiredService<IOptions<TlsOptions>>().Value,
            Hostname(sp),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("SendApi.Tls")));
        builder.Services.AddSingleton(sp =>
        {
            var smtp = sp.GetRequiredService<IOptions<SmtpOptions>>().Value;
            var messages = sp.GetRequiredService<IOptions<MessagesOptions>>().Value;
            return new SmtpServerSettings
            {
                Hostname = Hostname(sp),
                MaxMessageSize = messages.MaxSizeBytes,
                MaxRecipients = messages.MaxRecipients,
                IdleTimeout = Durations.Parse(smtp.IdleTimeout, "Smtp:IdleTimeout"),
                TlsHandshakeTimeout = Durations.Parse(smtp.TlsHandshakeTimeout, "Smtp:TlsHandshakeTimeout"),
                MaxConnections = smtp.MaxConnections,
                MaxConnectionsPerIp = smtp.MaxConnectionsPerIp,
                ConnectionLimitExemptions = smtp.ConnectionLimitExemptions(),
                Certificate = sp.GetRequiredService<System.Security.Cryptography.X509Certificates.X509Certificate2>(),
            };
        });
        builder.Services.AddSmtpServer();
        builder.Services.AddSendApiSubmission();

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var services = kestrel.ApplicationServices;
            var certificate = services.GetRequiredService<System.Security.Cryptography.X509Certificates.X509Certificate2>();
            EndpointBinding.BindHttp(kestrel, context.Configuration, certificate);

            var smtp = services.GetRequiredService<IOptions<SmtpOptions>>().Value;
            if (smtp.Submission.Port > 0)
            {
                EndpointBinding.Listen(kestrel, smtp.BindAddress, smtp.Submission.Port, listen => listen.UseSmtp(SubmissionListeners.StarttlsProfile(smtp)));
            }

            if (smtp.SubmissionTls.Port > 0)
            {
                EndpointBinding.Listen(kestrel, smtp.BindAddress, smtp.SubmissionTls.Port, listen => listen.UseSmtp(SubmissionListeners.ImplicitTlsProfile(smtp)));
            }

            if (smtp.Inbound.Port > 0)
            {
                EndpointBinding.Listen(kestrel, smtp.BindAddress, smtp.Inbound.Port, listen => listen.UseSmtp(SubmissionListeners.InboundProfile()));
            }
        });
        return builder;
    }

    /// <summary>Smtp:Hostname, else Delivery:HeloName, else the machine's name.</summary>
    private static string Hostname(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        return configuration["Smtp:Hostname"] is { Length: > 0 } name ? name
            : configuration["Delivery:HeloName"] is { Length: > 0 } helo ? helo
            : Dns.GetHostName();
    }
}
