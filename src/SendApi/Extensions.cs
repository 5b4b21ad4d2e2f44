using System.Net;
using System.Security.Cryptography.X509Certificates;
using Hangfire;
using Hangfire.AspNetCore;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Submission;
using SendApi.Api.Operator;
using SendApi.Api.Operator.Queue;
using SendApi.Core;
using SendApi.Delivery;
using SendApi.Hosting;
using SendApi.Smtp;
using SendApi.Webhooks;

namespace SendApi;

/// <summary>
/// The host's wiring that takes more than a line, one method per block of Program.cs: Hangfire and
/// its two servers, the SMTP engine's settings, the listening sockets and the queue dashboard.
/// </summary>
internal static class Extensions
{
    /// <summary>Hangfire on the job storage of <c>AddSendApiStorage</c>, for enqueueing; servers are added apart.</summary>
    public static IServiceCollection AddSendApiHangfire(this IServiceCollection services)
    {
        // Each host activates its jobs from its own container. Left to AddHangfire, the activator would be
        // the process-wide JobActivator.Current, which every host's configuration callback below overwrites
        // when its app is built, and which is read only later, when the Hangfire server starts: with several
        // hosts in one process, a host built in between would get this host's jobs, and a delivery job would
        // look for its claims in that host's queue, find none, and leave the message queued. Registered
        // before AddHangfire, which only adds its own if none is.
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, hangfire) => hangfire
            .UseLogProvider(new HangfireLogProvider(sp.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseStorage(sp.GetRequiredService<JobStorage>()));
        return services;
    }

    /// <summary>
    /// The Hangfire server that runs delivery jobs: <c>Delivery__Workers</c> workers on the
    /// "delivery" and "default" queues. Each worker runs one delivery job at a time, with up to
    /// <c>Delivery__ConcurrencyPerJob</c> messages in flight.
    /// </summary>
    public static IServiceCollection AddDeliveryJobServer(this IServiceCollection services) =>
        services.AddHangfireServer((sp, server) =>
        {
            var options = sp.GetRequiredService<IOptions<DeliveryOptions>>().Value;
            server.ServerName = $"{Environment.MachineName}:delivery";
            server.Queues = [DeliveryJob.Queue, "default"];
            server.WorkerCount = options.Workers;
            // Retries are scheduled delivery jobs: they start on this clock, not Hangfire's default 15s.
            server.SchedulePollingInterval = options.PollIntervalValue;
        });

    /// <summary>
    /// The Hangfire server that runs webhook jobs: <c>Webhooks__Workers</c> workers on the
    /// "webhooks" queue. A server is a pool of workers, and this one is apart so that neither kind
    /// of work can take the other's: a delivery job holds its worker for up to
    /// <c>Delivery__JobLifetime</c> and more, and a slow endpoint holds one for <c>Webhooks__Timeout</c>.
    /// </summary>
    public static IServiceCollection AddWebhookJobServer(this IServiceCollection services) =>
        services.AddHangfireServer((sp, server) =>
        {
            var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
            server.ServerName = $"{Environment.MachineName}:webhooks";
            server.Queues = [WebhookDeliveryJob.Queue];
            server.WorkerCount = options.Workers;
            // Scheduled retries become due on this clock; Hangfire's default (15s) would stretch a 5s retry.
            server.SchedulePollingInterval = options.SchedulePollingIntervalValue;
        });

    /// <summary>
    /// The SMTP engine, with the settings it takes from ours: host name, the message limits every
    /// channel shares (so SIZE and RCPT refuse early what the intake would refuse), connection
    /// limits and timeouts, and the TLS certificate.
    /// </summary>
    public static IServiceCollection AddSendApiSmtpServer(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
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
        services.AddSmtpServer();
        return services;
    }

    /// <summary>
    /// Every listening socket of the service, in Kestrel: HTTP, SMTP submission on 587 (STARTTLS)
    /// and 465 (implicit TLS), inbound SMTP on 25, as <see cref="ListenerPlan"/> reads them from the
    /// settings. The TLS certificate they share is loaded (or made) once, at start.
    /// </summary>
    public static WebApplicationBuilder AddSendApiListeners(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section);
        builder.Services.AddSingleton(sp => TlsCertificate.Load(
            sp.GetRequiredService<IOptions<TlsOptions>>().Value,
            Hostname(sp),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("SendApi.Tls")));
        var hosting = EndpointBinding.TakeHostingUrls(builder.WebHost, builder.Configuration);
        builder.Services.AddSingleton(sp => ListenerPlan.From(EndpointBinding.Effective(sp.GetRequiredService<IConfiguration>(), hosting), sp.GetRequiredService<IOptions<SmtpOptions>>().Value));

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

    /// <summary>Hangfire's dashboard at <paramref name="path"/>, with the mail queue pages, for operators with an admin key.</summary>
    public static WebApplication UseQueueDashboard(this WebApplication app, string path)
    {
        app.UseDashboardRequestGuards(path);
        QueueDashboard.Register();
        app.UseHangfireDashboard(path, new DashboardOptions
        {
            // The default filter admits local requests only; we require an admin key from everyone instead.
            Authorization = [],
            AsyncAuthorization = [new DashboardAuthorization()],
            DashboardTitle = "SendApi queue",
            DisplayStorageConnectionString = false,
            AppPath = null,
        });
        return app;
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
