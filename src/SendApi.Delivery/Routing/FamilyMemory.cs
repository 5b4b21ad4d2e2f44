using System.Collections.Concurrent;
using DnsClient;

namespace SendApi.Delivery.Routing;

/// <summary>
/// Marks on (host, address family) that lapse: a lookup that failed a moment ago, or an empty
/// answer its SOA lets us keep. Bounded, so that mail to many hosts cannot grow it without end:
/// when full, lapsed marks go first, and if none had, all of them (each costs only a query).
/// </summary>
internal sealed class FamilyMemory(TimeProvider time)
{
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<(string Host, QueryType Type), DateTimeOffset> _until = new();

    /// <summary>Whether <paramref name="host"/> (lower case) carries a mark for <paramref name="type"/> that has not lapsed.</summary>
    public bool Holds(string host, QueryType type)
    {
        if (!_until.TryGetValue((host, type), out var until))
        {
            return false;
        }

        if (time.GetUtcNow() < until)
        {
            return true;
        }

        _until.TryRemove(new KeyValuePair<(string, QueryType), DateTimeOffset>((host, type), until));
        return false;
    }

    public void Mark(string host, QueryType type, TimeSpan lasting)
    {
        var now = time.GetUtcNow();
        if (_until.Count >= MaxRemembered)
        {
            foreach (var (key, until) in _until)
            {
                if (now >= until)
                {
                    _until.TryRemove(key, out _);
                }
            }

            if (_until.Count >= MaxRemembered)
            {
                _until.Clear();
            }
        }

        _until[(host, type)] = now + lasting;
    }

    public void Clear(string host, QueryType type) => _until.TryRemove((host, type), out _);
}
