using System.Net;
using SendApi.Core.Diagnostics;

namespace SendApi.Smtp;

/// <summary>
/// Failed AUTH attempts per client address within a sliding window, shared by every connection so
/// that reconnecting does not reset the count.
/// </summary>
internal sealed class AuthFailureTracker(SmtpServerSettings settings, TimeProvider time, SendApiMetrics metrics)
{
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _failures = [];
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    /// <summary>Failures from <paramref name="address"/> still inside the window.</summary>
    public int Count(IPAddress? address)
    {
        if (address is null)
        {
            return 0;
        }

        lock (_failures)
        {
            return _failures.TryGetValue(ConnectionLimiter.Normalize(address), out var times) ? Prune(times, time.GetUtcNow()) : 0;
        }
    }

    /// <summary>Records one failure on <paramref name="listener"/>; returns the address's failures inside the window, this one included.</summary>
    public int RecordFailure(IPAddress? address, string listener)
    {
        metrics.SmtpAuthFailure(listener);
        return Record(address);
    }

    private int Record(IPAddress? address)
    {
        if (address is null)
        {
            return 1;
        }

        var now = time.GetUtcNow();
        lock (_failures)
        {
            SweepIfDue(now);
            address = ConnectionLimiter.Normalize(address);
            if (!_failures.TryGetValue(address, out var times))
            {
                _failures[address] = times = new Queue<DateTimeOffset>();
            }

            Prune(times, now);
            times.Enqueue(now);
            // Only the count up to the disconnect threshold matters; don't let one address grow a queue.
            while (times.Count > settings.AuthFailuresBeforeDisconnect)
            {
                times.Dequeue();
            }

            return times.Count;
        }
    }

    private int Prune(Queue<DateTimeOffset> times, DateTimeOffset now)
    {
        while (times.TryPeek(out var oldest) && now - oldest >= settings.AuthFailureWindow)
        {
            times.Dequeue();
        }

        return times.Count;
    }

    // Addresses that stopped trying would otherwise stay forever.
    private void SweepIfDue(DateTimeOffset now)
    {
        if (now - _lastSweep < settings.AuthFailureWindow)
        {
            return;
        }

        _lastSweep = now;
        foreach (var (address, times) in _failures)
        {
            if (Prune(times, now) == 0)
            {
                _failures.Remove(address);
            }
        }
    }
}
