using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// Postfix's <c>smtp-sink</c> test server, dumping each mail transaction to a file in a temp
/// directory so tests can count what it accepted. Extra arguments go before the address, e.g.
/// hard-reject every recipient with <c>"-f", "RCPT", "-B", "550 5.1.1 No such user"</c>, or soft-reject with
/// <c>"-r", "RCPT", "-b", "451 4.3.0 Try again later"</c>.
/// <para>
/// Dump behaviour (verified with Postfix 3.7, Debian 12): the dump file is created when MAIL FROM
/// is accepted and stays empty (buffered) while the transaction runs; it is completed and closed
/// when the final "." is received, before the 250 reply. RSET, QUIT or a dropped connection before
/// the "." delete the file (for a dropped connection within about a second). A dump holds
/// smtp-sink's own X-Client-Addr/X-Helo-Args/X-Mail-Args/X-Rcpt-Args/Received header lines, then the
/// message with LF line endings, then an empty line. So the directory also holds in-progress
/// transactions; <see cref="CountMessages"/> excludes files smtp-sink still has open.
/// </para>
/// smtp-sink refuses to run as root without <c>-u</c>, so <c>-u root</c> is added when the tests run as root.
/// </summary>
public sealed class PostfixSmtpSink : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly ExternalProcess _process;

    private PostfixSmtpSink(ExternalProcess process, string ip, int port, string directory)
    {
        _process = process;
        Ip = ip;
        Port = port;
        DumpDirectory = directory;
    }

    public string Ip { get; }

    public int Port { get; }

    public string DumpDirectory { get; }

    /// <summary>What smtp-sink printed so far (only errors, unless "-v" was passed).</summary>
    public string Output => _process.Output;

    public static async Task<PostfixSmtpSink> StartAsync(string ip, int port, params string[] extraArgs)
    {
        var directory = Directory.CreateTempSubdirectory("sendapi-smtp-sink-").FullName;
        var arguments = new List<string>();
        if (Environment.IsPrivilegedProcess)
        {
            arguments.AddRange(["-u", "root"]);
        }

        arguments.AddRange(["-d", Path.Combine(directory, "%Y%m%d%H%M%S.")]);
        arguments.AddRange(extraArgs);
        arguments.Add($"{ip}:{port.ToString(CultureInfo.InvariantCulture)}");
        arguments.Add("64");

        var process = ExternalProcess.Start(ExternalProcess.ResolveExecutable("smtp-sink"), arguments, workingDirectory: directory);
        var sink = new PostfixSmtpSink(process, ip, port, directory);
        try
        {
            await process.WaitForTcpAsync(IPAddress.Parse(ip), port, StartTimeout);
            return sink;
        }
        catch
        {
            await sink.DisposeAsync();
            throw;
        }
    }

    /// <summary>The number of completed mail transactions (dump files smtp-sink no longer holds open).</summary>
    public int CountMessages() => CompletedDumpFiles().Count;

    /// <summary>The completed dumps' text, oldest first (see the class remarks for the format).</summary>
    public IReadOnlyList<string> ReadDumps() =>
        CompletedDumpFiles()
            .Select(path => new FileInfo(path))
            .OrderBy(file => file.LastWriteTimeUtc)
            .ThenBy(file => file.Name, StringComparer.Ordinal)
            .Select(file => File.ReadAllText(file.FullName))
            .ToList();

    /// <summary>Polls every 50 ms until at least <paramref name="count"/> transactions completed; returns the count.</summary>
    public async Task<int> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var received = CountMessages();
            if (received >= count)
            {
                return received;
            }

            if (_process.HasExited || clock.Elapsed >= timeout)
            {
                throw new TimeoutException(
                    $"smtp-sink on {Ip}:{Port} completed {received} of {count} expected transactions within {timeout.TotalSeconds:0.#} s.\n{_process.Describe()}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(DumpDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private List<string> CompletedDumpFiles()
    {
        var files = Directory.EnumerateFiles(DumpDirectory, "*", SearchOption.AllDirectories).ToList();
        var open = OpenFiles();
        // Compared by file name (unique random suffix), so a symlinked temp directory does not matter.
        // A file can be closed and deleted (aborted transaction) between the listing and the /proc scan.
        return files.Where(file => !open.Contains(Path.GetFileName(file)) && File.Exists(file)).ToList();
    }

    private HashSet<string> OpenFiles()
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        var fdDirectory = $"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/fd";
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries(fdDirectory))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target)
                    {
                        open.Add(Path.GetFileName(target));
                    }
                }
                catch (IOException)
                {
                    // The descriptor was closed while we looked.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Process gone: nothing is open.
        }

        return open;
    }
}
