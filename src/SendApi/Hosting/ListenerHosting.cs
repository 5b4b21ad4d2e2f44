using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
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
                Certificate = sp.GetRequiredService<X509Certificate2>(),
            };
        });
        builder.Services.AddSmtpServer();
        builder.Services.AddSendApiSubmission();

        builder.Services.AddSingleton(sp => ListenerPlan.From(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<SmtpOptions>>().Value));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var services = kestrel.ApplicationServices;
            var certificate = services.GetRequiredService<X509Certificate2>();
            var smtp = services.GetRequiredService<IOptions<SmtpOptions>>().Value;
            foreach (var listener in services.GetRequiredService<ListenerPlan>().Listeners)
            {
                Action<ListenOptions> configure = listener.Role switch
                {
                    ListenerRole.Https => listen => listen.UseHttps(certificate),
                    ListenerRole.Submission => listen => listen.UseSmtp(SubmissionListeners.StarttlsProfile(smtp)),
                    ListenerRole.SubmissionTls => listen => listen.UseSmtp(SubmissionListeners.ImplicitTlsProfile(smtp)),
                    ListenerRole.Inbound => listen => listen.UseSmtp(SubmissionListeners.InboundProfile()),
                    _ => _ => { },
                };
                EndpointBinding.Listen(kestrel, listener.Host, listener.Port, configure);
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
