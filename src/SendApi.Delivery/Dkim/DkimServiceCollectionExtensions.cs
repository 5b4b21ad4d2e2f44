using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendApi.Core.Domains;

namespace SendApi.Delivery.Dkim;

public static class DkimServiceCollectionExtensions
{
    /// <summary>
    /// DKIM signing with the keys of registered sender domains (needs an <see cref="IDomainStore"/>).
    /// A plain registration, so that it wins over the <c>NoMessageSigning</c> default of
    /// <see cref="DeliveryServiceCollectionExtensions.AddSendApiDelivery"/> in either order.
    /// </summary>
    public static IServiceCollection AddSendApiDkimSigning(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DkimSignerCache>();
        services.AddSingleton<IDomainChangeListener>(sp => sp.GetRequiredService<DkimSignerCache>());
        services.AddSingleton<IMessageSigner, DkimMessageSigner>();
        return services;
    }
}
