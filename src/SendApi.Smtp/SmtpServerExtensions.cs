using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

using SendApi.Core.Diagnostics;

namespace SendApi.Smtp;

/// <summary>Wiring of the SMTP server into a host.</summary>
public static class SmtpServerExtensions
{
    /// <summary>
    /// Registers the SMTP engine. The application registers <see cref="ISmtpMessageHandler"/>,
    /// <see cref="SmtpServerSettings"/> and (optionally) a <see cref="TimeProvider"/> itself.
    /// </summary>
    public static IServiceCollection AddSmtpServer(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ConnectionLimiter>();
        services.TryAddSingleton<AuthFailureTracker>();
        services.AddMetrics();
        services.TryAddSingleton<SendApiMetrics>();
        services.TryAddSingleton<SmtpConnectionHandler>();
        return services;
    }

    /// <summary>Makes this Kestrel endpoint speak SMTP as <paramref name="profile"/> describes.</summary>
    public static ListenOptions UseSmtp(this ListenOptions listen, SmtpListenerProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        // The handler is shared by all listeners; each connection carries its listener's profile
        // and the listener's own connection count.
        var capacity = new ListenerCapacity();
        listen.Use(next => connection =>
        {
            connection.Features.Set(profile);
            connection.Features.Set(capacity);
            return next(connection);
        });
        listen.UseConnectionHandler<SmtpConnectionHandler>();
        return listen;
    }
}
