using System.Net;
using SendApi.Core.Abuse;
using SendApi.Core.Diagnostics;

namespace SendApi.Smtp;

/// <summary>
/// Failed AUTH attempts per client address within a sliding window, shared by every connection so
/// that reconnecting does not reset the count, and by every instance when the store shares them
/// (<see cref="ISharedAuthFailures"/>, on Redis). When the shared count can't be had (the store is
/// down), this process's own count stands in: a guesser is still slowed down.
/// </summary>
internal sealed class AuthFailureTracker(SmtpServerSettings settings, TimeProvider time, SendApiMetrics metrics, ISharedAuthFailures? shared = null)
{
    /// <summary>Failures from <paramref name="address"/> still inside the window, across instances when shared.</summary>
    public async ValueTask<int> CountAsync(IPAddress? address, CancellationToken cancellationToken)
    {
        var local = Count(address);
        if (address is null || shared is null)
        {
            return local;
        }

        try
        {
            return Math.Max(local, await shared.CountAsync(ConnectionLimiter.Normalize(address).ToString(), settings.AuthFailureWindow, cancellationToken) ?? 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return local;
        }
    }

    /// <summary>Records one failure on <paramref name="listener"/>; returns the failures inside the window, this one included, across instances when shared.</summary>
    public async ValueTask<int> RecordFailureAsync(IPAddress? address, string listener, CancellationToken cancellationToken)
    {
        var local = RecordFailure(address, listener);
        if (address is null || shared is null)
        {
            return local;
        }

        try
        {
            return Math.Max(local, await shared.RecordAsync(
                ConnectionLimiter.Normalize(address).ToString(), settings.AuthFailureWindow, settings.AuthFailuresBeforeDisconnect, cancellationToken) ?? 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return local;
        }
    }

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
