using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Messages;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// The host's own delivery queue with its load or its claim passed through a test's hook (to kill
/// Redis at that instant, or make the load see what a lagging replica would); everything else goes
/// straight through.
/// </summary>
internal sealed class HookedDeliveryQueue(IDeliveryQueue inner, HookedDeliveryQueue.Load? loadHook, HookedDeliveryQueue.Claim? claimHook, HookedDeliveryQueue.Complete? completeHook) : IDeliveryQueue
{
    public delegate Task<DeliveryWork?> Load(IDeliveryQueue inner, string id, CancellationToken cancellationToken);

    public delegate Task<IReadOnlyList<string>> Claim(IDeliveryQueue inner, string claim, DateTimeOffset now, int max, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Around <see cref="IDeliveryQueue.CompleteAsync"/>; <paramref name="complete"/> makes the real call.</summary>
    public delegate Task Complete(Func<Task> complete, string id, IReadOnlyList<MessageEvent> events);

    /// <summary>Replaces the registered queue with itself around it.</summary>
    public static void Register(IServiceCollection services, Load? load = null, Claim? claim = null, Complete? complete = null)
    {
        var original = services.Last(d => d.ServiceType == typeof(IDeliveryQueue));
        services.Remove(original);
        services.AddSingleton<IDeliveryQueue>(sp => new HookedDeliveryQueue((IDeliveryQueue)original.ImplementationFactory!(sp), load, claim, complete));
    }

    public Task<DeliveryWork?> LoadAsync(string id, CancellationToken cancellationToken) =>
        loadHook is null ? inner.LoadAsync(id, cancellationToken) : loadHook(inner, id, cancellationToken);

    public Task<IReadOnlyList<string>> ClaimDueAsync(string claim, DateTimeOffset now, int max, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        claimHook is null
            ? inner.ClaimDueAsync(claim, now, max, leaseUntil, cancellationToken)
            : claimHook(inner, claim, now, max, leaseUntil, cancellationToken);

    public Task<IReadOnlyList<string>> ReclaimAsync(string claim, IReadOnlyCollection<string> held, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        inner.ReclaimAsync(claim, held, leaseUntil, cancellationToken);

    public Task<IReadOnlyList<string>> RenewAsync(string claim, IReadOnlyList<string> ids, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        inner.RenewAsync(claim, ids, leaseUntil, cancellationToken);

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) => inner.NextDueAsync(cancellationToken);

    public Task<ForgetOutcome> ForgetAsync(string claim, string id, DateTimeOffset dueIfFound, CancellationToken cancellationToken) =>
        inner.ForgetAsync(claim, id, dueIfFound, cancellationToken);

    public Task<bool> UpdateRecipientsAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, CancellationToken cancellationToken) =>
        inner.UpdateRecipientsAsync(claim, id, updates, cancellationToken);

    public Task CompleteAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, DateTimeOffset? nextDue, string? attempt, CancellationToken cancellationToken) =>
        completeHook is null
            ? inner.CompleteAsync(claim, id, updates, events, nextDue, attempt, cancellationToken)
            : completeHook(() => inner.CompleteAsync(claim, id, updates, events, nextDue, attempt, cancellationToken), id, events);

    public void NoteAccepted(string id, IReadOnlyList<(int Recipient, MessageEvent Delivered)> accepted) => inner.NoteAccepted(id, accepted);
}
