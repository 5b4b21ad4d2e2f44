using System.Diagnostics;
using System.Globalization;
using SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// Postfix's <c>smtp-sink</c> as the MX of every path under test, counting what it RECEIVES: with
/// <c>-c</c> it prints "sess=… quit=… mesg=N" and a carriage return each time a message's final "."
/// arrives, and this notes when each count was reached. A rate is then messages over the time from
/// the first injection to the arrival of the last one, whoever relayed them.
/// </summary>
internal sealed class SinkCounter : IAsyncDisposable
{
    private readonly Process _process;
    private readonly IDisposable _endOnExit;
    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _count;
    private TimeSpan _lastArrival;
    private string _errors = "";

    private SinkCounter(Process process)
    {
        _process = process;
        _endOnExit = ExternalProcess.EndOnHostExit(Kill);
    }

    /// <summary>Messages received so far.</summary>
    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public static async Task<SinkCounter> StartAsync(string ip, int port)
    {
        // smtp-sink refuses to run as root unless told which user to be; 1024 is its connection backlog.
        var startInfo = new ProcessStartInfo(ExternalProcess.ResolveExecutable("smtp-sink"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[.. Environment.IsPrivilegedProcess ? ["-u", "root"] : Array.Empty<string>(), "-c", $"{ip}:{port}", "1024"])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        var sink = new SinkCounter(process);
        // The .NET line reader ends a line at a carriage return too: one "line" per counter update.
        process.OutputDataReceived += (_, e) => sink.OnCounter(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (sink._gate)
            {
                sink._errors += e.Data + "\n";
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ExternalProcess.WaitForTcpAsync(System.Net.IPAddress.Parse(ip), port, TimeSpan.FromSeconds(10), () => sink._errors);
        return sink;
    }

    /// <summary>Waits until <paramref name="target"/> messages arrived in all; returns when the last of them did (on this object's clock).</summary>
    public async Task<TimeSpan> WaitForAsync(long target, TimeSpan timeout, Func<string> describe)
    {
        var deadline = _clock.Elapsed + timeout;
        while (true)
        {
            lock (_gate)
            {
                if (_count >= target)
                {
                    return _lastArrival;
                }
            }

            if (_clock.Elapsed > deadline)
            {
                throw new TimeoutException($"The sink received {Count} of {target} messages in {timeout.TotalSeconds:0} s.\n{describe()}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Now, on the clock <see cref="WaitForAsync"/> answers on.</summary>
    public TimeSpan Now => _clock.Elapsed;

    private void OnCounter(string? line)
    {
        var at = line?.LastIndexOf("mesg=", StringComparison.Ordinal) ?? -1;
        if (at < 0 || !long.TryParse(line.AsSpan(at + 5), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return;
        }

        var now = _clock.Elapsed;
        lock (_gate)
        {
            if (count > _count)
            {
                _count = count;
                _lastArrival = now;
            }
        }
    }

    private void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _endOnExit.Dispose();
        _process.Dispose();
    }
}
