using Microsoft.Extensions.Logging;
using SendApi.Core.Storage;
using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>
/// The messages a delivery job holds and has not finished, shared by its deliveries, and the
/// renewal that keeps their lease while the job runs.
/// </summary>
internal sealed class HeldClaims
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    public void Add(IEnumerable<string> ids)
    {
        lock (_gate)
        {
            _ids.UnionWith(ids);
        }
    }

    public bool Contains(string id)
    {
        lock (_gate)
        {
            return _ids.Contains(id);
        }
    }

    public void Release(string id)
    {
        lock (_gate)
        {
            _ids.Remove(id);
        }
    }

    public IReadOnlyList<string> Snapshot()
    {
        lock (_gate)
        {
            return [.. _ids];
        }
    }

    /// <summary>
    /// Forgets the ids of <paramref name="renewed"/> that the renewal did not keep (another claim took
    /// them over after the lease ran out), so that they are not started here. Ids claimed since the
    /// renewal's snapshot are not touched.
    /// </summary>
    private void KeepOnly(IReadOnlyList<string> renewed, IReadOnlyList<string> kept)
    {
        var lost = renewed.Except(kept, StringComparer.Ordinal).ToList();
        if (lost.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            _ids.ExceptWith(lost);
        }
    }

    /// <summary>Renews the lease of every held message every third of it, until <paramref name="stop"/>.</summary>
    public async Task RenewWhileRunningAsync(
        IDeliveryQueue queue, string claim, TimeSpan lease, TimeProvider time, IStorageAvailability storage, ILogger logger, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(lease / 3, time, stop);
                var ids = Snapshot();
                if (ids.Count == 0)
                {
                    continue;
                }

                var kept = await queue.RenewAsync(claim, ids, time.GetUtcNow() + lease, stop);
                if (kept.Count < ids.Count)
                {
                    DeliveryRun.LogClaimsLost(logger, claim, ids.Count - kept.Count);
                }

                KeepOnly(ids, kept);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One failed renewal must not end renewal for the rest of the job: keep trying. An
                // outage is logged once by the availability watch, not at every renewal it fails.
                if (!storage.TryNoteOutage(ex))
                {
                    DeliveryRun.LogRenewFailed(logger, ex, claim);
                }
            }
        }
    }
}
