namespace SendApi.Delivery;

/// <summary>The messages a delivery job holds and has not finished, shared by its deliveries and its lease renewal.</summary>
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
    public void KeepOnly(IReadOnlyList<string> renewed, IReadOnlyList<string> kept)
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
}
