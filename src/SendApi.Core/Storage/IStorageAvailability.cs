namespace SendApi.Core.Storage;

/// <summary>
/// Tells a store outage (Redis unreachable, timing out, loading its data) from a bug, so that every
/// channel answers "try again later" for the first (HTTP 503, SMTP 451) and keeps 500s and error
/// logs for the second. An outage is logged once when it starts and once when it ends, not once
/// per request that met it.
/// </summary>
public interface IStorageAvailability
{
    /// <summary>
    /// True when <paramref name="exception"/> means the store could not be reached; the outage is
    /// then noted (its start logged once). False for anything else, which the caller handles as before.
    /// </summary>
    bool TryNoteOutage(Exception exception);

    /// <summary>True from the first noted failure until the store answers again.</summary>
    bool IsDown { get; }

    /// <summary>How long a caller should wait before trying again (the Retry-After of a 503).</summary>
    TimeSpan RetryAfter { get; }
}
