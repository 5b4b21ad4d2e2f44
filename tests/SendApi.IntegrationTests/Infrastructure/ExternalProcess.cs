using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A child process (a real third-party server) owned by a test fixture. Its stdout and
/// stderr are captured into a bounded, thread-safe buffer so failures can show what the
/// server said. Disposing kills the whole process tree; processes still alive when the
/// test host exits normally are killed too.
/// <para>
/// Its plumbing also serves servers that are not children (a daemon such as Postfix's master):
/// signals, a process's identity in /proc, waiting for a TCP listener, and being ended when the
/// test host exits.
/// </para>
/// </summary>
internal sealed class ExternalProcess : IAsyncDisposable
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    private const int MaxBufferedLines = 5000;
    private const int MaxDescribedChars = 16 * 1024;

    /// <summary>What ends when the test host exits normally (see <see cref="EndOnHostExit"/>).</summary>
    private static readonly ConcurrentDictionary<HostExitRegistration, Action> EndOnExit = new();

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly Queue<string> _lines = new();
    private int _droppedLines;
    private IDisposable? _endOnExit;

    static ExternalProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var end in EndOnExit.Values)
            {
                end();
            }
        };
    }

    private ExternalProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
    }

    /// <summary>The program and its arguments, for messages.</summary>
    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public int? ExitCode => HasExited ? _process.ExitCode : null;

    /// <summary>Everything captured so far (stdout and stderr interleaved, stderr lines prefixed with "! ").</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                var text = new StringBuilder();
                if (_droppedLines > 0)
                {
                    text.Append("[... ").Append(_droppedLines).AppendLine(" earlier lines dropped ...]");
                }

                foreach (var line in _lines)
                {
                    text.AppendLine(line);
                }

                return text.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/>. Environment entries with a null value are removed
    /// from the inherited environment.
    /// </summary>
    public static ExternalProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var commandLine = string.Join(' ', startInfo.ArgumentList.Prepend(fileName).Select(Quote));
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var result = new ExternalProcess(process, commandLine);
        process.OutputDataReceived += (_, e) => result.Append(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data, isError: true);
        try
        {
            process.Start();
        }
        catch (Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start {commandLine}: {ex.Message}", ex);
        }

        result._endOnExit = EndOnHostExit(result.Kill);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return result;
    }

    /// <summary>
    /// Finds a program on PATH or in the sbin directories (which are not on a normal user's PATH
    /// on Debian, yet hold dnsmasq and smtp-sink).
    /// </summary>
    public static string ResolveExecutable(string name)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"'{name}' was not found on PATH or in the sbin directories. Run tests/run.sh, which installs the test peers "
            + "(redis-server, dnsmasq, postfix's smtp-sink, swaks, python3-aiosmtpd).",
            name);
    }

    /// <summary>True when one captured line satisfies <paramref name="match"/>.</summary>
    public bool HasPrinted(Func<string, bool> match)
    {
        lock (_gate)
        {
            return _lines.Any(match);
        }
    }

    /// <summary>Waits until a captured line satisfies <paramref name="match"/>; throws (with the output) if the process exits first or on timeout.</summary>
    public async Task WaitForOutputLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (HasPrinted(match))
            {
                return;
            }

            if (HasExited)
            {
                // Exited: make sure the asynchronous readers have delivered everything, then look once more.
                await _process.WaitForExitAsync();
                if (HasPrinted(match))
                {
                    return;
                }

                throw new InvalidOperationException($"Process exited before {what}.\n{Describe()}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.\n{Describe()}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Polls until a TCP connection to <paramref name="address"/>:<paramref name="port"/> succeeds; throws (with the output) if the process exits first or on timeout.</summary>
    public Task WaitForTcpAsync(IPAddress address, int port, TimeSpan timeout) =>
        PollTcpAsync(address, port, timeout, Describe, async () =>
        {
            if (HasExited)
            {
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"Process exited before accepting TCP connections on {address}:{port}.\n{Describe()}");
            }
        });

    public Task WaitForTcpAsync(string host, int port, TimeSpan timeout) =>
        WaitForTcpAsync(IPAddress.Parse(host), port, timeout);

    /// <summary>
    /// Polls until a TCP connection to <paramref name="address"/>:<paramref name="port"/> succeeds,
    /// for a server that is not a child of ours (a daemon); throws on timeout with <paramref name="describe"/>'s text.
    /// </summary>
    public static Task WaitForTcpAsync(IPAddress address, int port, TimeSpan timeout, Func<string> describe) =>
        PollTcpAsync(address, port, timeout, describe, gone: null);

    /// <summary>
    /// Runs <paramref name="end"/> when the test host exits normally, unless the registration is
    /// disposed first: for what nothing else would stop then (a daemon is not a child of the host).
    /// </summary>
    public static IDisposable EndOnHostExit(Action end)
    {
        var registration = new HostExitRegistration();
        EndOnExit[registration] = end;
        return registration;
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (a negative pid: to its process group); false when it is gone.</summary>
    public static bool Signal(int pid, int signal) => SendSignal(pid, signal) == 0;

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat (start time in clock ticks since boot): a pid and this name one process.</summary>
    public static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/stat");
            // The command name (field 2) is in parentheses and may hold spaces; fields 3.. follow the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <param name="gone">Called before each attempt; throws when waiting longer makes no sense (the server exited).</param>
    private static async Task PollTcpAsync(IPAddress address, int port, TimeSpan timeout, Func<string> describe, Func<Task>? gone)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            if (gone is not null)
            {
                await gone();
            }

            using (var client = new TcpClient(address.AddressFamily))
            using (var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            {
                try
                {
                    await client.ConnectAsync(address, port, attempt.Token);
                    return;
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    last = ex;
                }
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"Timed out after {timeout.TotalSeconds:0.#} s waiting for TCP {address}:{port} ({last?.Message}).\n{describe()}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>The command line, state and captured output, for exception messages.</summary>
    public string Describe()
    {
        var state = HasExited ? $"exited with code {_process.ExitCode}" : "running";
        var output = Output;
        if (output.Length > MaxDescribedChars)
        {
            output = "[...]\n" + output[^MaxDescribedChars..];
        }

        return $"Command: {CommandLine}\nProcess {Id}: {state}\n--- output ---\n{output}--- end of output ---";
    }

    /// <summary>Kills the process and all its descendants (SIGKILL) and waits briefly for it to be reaped.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(5000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Never started or already gone.
        }
    }

    /// <summary>Waits for the process to exit on its own (e.g. a client such as swaks); kills it and throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"Process did not exit within {timeout.TotalSeconds:0.#} s.\n{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>
    /// Asks the process to stop with SIGTERM and waits up to <paramref name="grace"/>; kills the
    /// process tree if it is still running then. Returns the exit code.
    /// </summary>
    public async Task<int> TerminateAsync(TimeSpan grace)
    {
        if (!HasExited)
        {
            _ = SendSignal(_process.Id, SigTerm);
            using var wait = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }

        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
            {
                // Reported by ps in the worst case; nothing more to do here.
            }
        }

        _endOnExit?.Dispose();
        _process.Dispose();
    }

    private void Append(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue(isError ? "! " + line : line);
            while (_lines.Count > MaxBufferedLines)
            {
                _lines.Dequeue();
                _droppedLines++;
            }
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@%+".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private sealed class HostExitRegistration : IDisposable
    {
        public void Dispose() => EndOnExit.TryRemove(this, out _);
    }
}
