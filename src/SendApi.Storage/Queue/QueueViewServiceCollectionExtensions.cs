using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendApi.Core.Messages;
using SendApi.Core.Queue;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.Storage.Queue;

internal static class QueueViewServiceCollectionExtensions
{
    /// <summary>
    /// The queue view on the store <c>AddSendApiStorage</c> picked, and the message store and
    /// delivery queue wrapped so that their failures reach its recent list. Called after both are registered.
    /// </summary>
    public static IServiceCollection AddSendApiQueueView(this IServiceCollection services)
    {
        services.AddSingleton<InMemoryQueueView>();
        services.AddSingleton<RedisQueueView>();
        services.AddSingleton<IQueueView>(sp => sp.GetRequiredService<StorageMode>().IsRedis
            ? sp.GetRequiredService<RedisQueueView>()
            : sp.GetRequiredService<InMemoryQueueView>());
        services.AddSingleton<FailureNoting>();
        Decorate<IDeliveryQueue>(services, (sp, inner) => new FailureNotingDeliveryQueue(inner, sp.GetRequiredService<FailureNoting>()));
        Decorate<IMessageStore>(services, (sp, inner) => new FailureNotingMessageStore(inner, sp.GetRequiredService<FailureNoting>()));
        return services;
    }

    private static void Decorate<T>(IServiceCollection services, Func<IServiceProvider, T, T> decorate)
        where T : class
    {
        var registered = services.Single(d => d.ServiceType == typeof(T));
        var inner = registered.ImplementationFactory
            ?? throw new InvalidOperationException($"{typeof(T).Name} is expected to be registered with a factory.");
        services.Replace(ServiceDescriptor.Singleton<T>(sp => decorate(sp, (T)inner(sp))));
    }
}
