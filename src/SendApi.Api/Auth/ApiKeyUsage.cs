using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SendApi.Core.Accounts;

namespace SendApi.Api.Auth;

/// <summary>
/// "Last used" of API keys, kept off the request path: a request only notes the key in memory
/// (and only when this instance has not noted it within <see cref="Resolution"/>), and a
/// background loop writes what was noted to the store in one call. So a key is written at most
/// once a minute per instance however busy it is, and a store that is slow or down never slows
/// or fails a request because of it.
/// </summary>
internal sealed partial class ApiKeyUsage(IApiKeyStore keys, TimeProvider time, ILogger<ApiKeyUsage> logger) : BackgroundService
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastNoted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The key was used now. Cheap: a dictionary read, and a write once a minute.</summary>
    public void Note(string keyId)
    {
        var now = time.GetUtcNow();
        if (_lastNoted.TryGetValue(keyId, out var last) && now - last < Resolution)
        {
            return;
        }

        // Two requests racing here both note the key: one write more, once; not worth a lock.
        _lastNoted[keyId] = now;
        _pending[keyId] = now;
        _wake.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(stoppingToken))
            {
                _wake.Reader.TryRead(out _);
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes what was noted since the last flush; on failure the uses are dropped (the next minute notes them again).</summary>
    internal async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var at))
            {
                batch[id] = at;
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await keys.NoteUsedAsync(batch, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNoteFailed(logger, ex, batch.Count);
        }
    }

    // Log event ids 1020–1029 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1021.
    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Recording when {Count} API key(s) were last used failed; their next use records it")]
    private static partial void LogNoteFailed(ILogger logger, Exception exception, int count);
}
