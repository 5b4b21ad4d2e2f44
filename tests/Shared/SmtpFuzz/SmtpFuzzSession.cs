using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace SendApi.Tests.SmtpFuzz;

/// <summary>Where and how a fuzzed session connects.</summary>
/// <param name="CertificateHash">The server certificate's SHA-1 hash (X509Certificate.GetCertHashString()): the only one trusted.</param>
/// <param name="StartTls">Greets and upgrades with STARTTLS before the fuzzing starts (587 and 25).</param>
/// <param name="From">The loopback address to connect from (127.0.0.1 when null): each its own client, for the per-IP counts.</param>
internal sealed record SmtpFuzzConnection(int Port, bool ImplicitTls, bool StartTls, string CertificateHash, IPAddress? From = null);

/// <summary>
/// One fuzzed session: writes the input in random chunks while reading everything the server
/// sends, then says QUIT and reads on until the server closes. Returns the problems found in what
/// the server sent (none is the only good answer).
/// </summary>
internal static class SmtpFuzzSession
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>How long a QUIT waits for the server to close before it is sent again.</summary>
    private static readonly TimeSpan QuitPatience = TimeSpan.FromSeconds(3);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="Codes">How many replies of each code: shows how deep the fuzzing got (235, 354, ...).</param>
    /// <param name="Replies">The last line of every reply, in order, for what the caller knows more about.</param>
    public sealed record Outcome(List<string> Problems, Dictionary<string, int> Codes, List<string> Replies);

    public static async Task<Outcome> RunAsync(SmtpFuzzConnection connection, SmtpFuzzInput input, int lines)
    {
        using var deadline = new CancellationTokenSource(Limit);
        using var tcp = connection.From is { } from ? new TcpClient(new IPEndPoint(from, 0)) { NoDelay = true } : new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, connection.Port, deadline.Token);
        Stream stream = tcp.GetStream();
        if (connection.ImplicitTls)
        {
            stream = await TlsAsync(stream, connection.CertificateHash, deadline.Token);
        }

        if (connection.StartTls)
        {
            // Not fuzzed: a plain greeting and upgrade, so the fuzzing runs inside STARTTLS.
            await ReadLineAsync(stream, deadline.Token); // banner
            await WriteAsync(stream, "EHLO fuzz.test\r\n"u8.ToArray(), deadline.Token);
            while (!IsLastLine(await ReadLineAsync(stream, deadline.Token)))
            {
            }

            await WriteAsync(stream, "STARTTLS\r\n"u8.ToArray(), deadline.Token);
            await ReadLineAsync(stream, deadline.Token);
            stream = await TlsAsync(stream, connection.CertificateHash, deadline.Token);
        }

        var received = new List<byte>();
        var startedTls = new TaskCompletionSource();
        var reading = ReadToEndAsync(stream, received, startedTls, deadline.Token);
        await WriteFuzzAsync(tcp, stream, reading, startedTls.Task, input, lines, deadline.Token);
        var closedCleanly = await reading;
        await stream.DisposeAsync();

        var problems = Check(received, closedCleanly, out var codes, out var replies);
        if (deadline.IsCancellationRequested)
        {
            problems.Add($"the server neither answered nor closed within {Limit}");
        }

        return new Outcome(problems, codes, replies);
    }

    /// <param name="startedTls">Done when the server said "220 Ready to start TLS" to a fuzzed STARTTLS: it then waits for a handshake, not a QUIT.</param>
    private static async Task WriteFuzzAsync(TcpClient tcp, Stream stream, Task<bool> reading, Task startedTls, SmtpFuzzInput input, int lines, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var chunk in input.Chunks(input.Session(lines)))
            {
                await stream.WriteAsync(chunk, cancellationToken);
            }

            // Whatever state the fuzz left: end a DATA, answer an AUTH challenge, then QUIT, and
            // wait for the server to close, as a mail client does. Not a half-close: Kestrel ends
            // the session when the client's FIN arrives, dropping the replies still queued, which
            // would hide what the server says last. A QUIT taken as an AUTH answer is repeated.
            for (var quit = 0; quit < 3 && !reading.IsCompleted && !startedTls.IsCompleted; quit++)
            {
                await stream.WriteAsync(quit == 0 ? "\r\n.\r\nQUIT\r\n"u8.ToArray() : "QUIT\r\n"u8.ToArray(), cancellationToken);
                await Task.WhenAny(reading, startedTls, Task.Delay(QuitPatience, cancellationToken));
            }

            if (!reading.IsCompleted)
            {
                tcp.Client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException
            or System.Security.Cryptography.CryptographicException)
        {
            // The server hung up first (too many errors, an HTTP verb, a failed STARTTLS): allowed.
        }
    }

    /// <summary>Reads until the server closes; false when the connection was reset rather than closed.</summary>
    private static async Task<bool> ReadToEndAsync(Stream stream, List<byte> received, TaskCompletionSource startedTls, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var tail = "\r\n"; // the last octets read, to find the reply across reads; a line start at first
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return true;
                }

                received.AddRange(buffer.AsSpan(0, read));
                tail += Encoding.Latin1.GetString(buffer, 0, read);
                if (tail.Contains("\r\n220 2.0.0 Ready to start TLS\r\n", StringComparison.Ordinal))
                {
                    startedTls.TrySetResult();
                }

                tail = tail[Math.Max(0, tail.Length - 40)..];
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A reset (the server closed with our bytes unread) can cut the last line short.
            return false;
        }
    }

    /// <summary>
    /// Every line: CRLF-terminated, ≤ 512 octets, valid UTF-8 without control characters, three
    /// digits and a space or hyphen; a multi-line reply keeps its code; the stream ends after a last
    /// line, and a server that closes says why first: 221 (QUIT) or 421 (RFC 5321 §3.8), unless the
    /// session went over to TLS (then the TLS layer speaks).
    /// </summary>
    internal static List<string> Check(List<byte> received, bool closedCleanly, out Dictionary<string, int> codes, out List<string> replies)
    {
        var problems = new List<string>();
        codes = [];
        replies = [];
        string? continuing = null;
        var start = 0;
        for (var i = 0; i + 1 < received.Count; i++)
        {
            if (received[i] != '\r' || received[i + 1] != '\n')
            {
                continue;
            }

            var octets = received.GetRange(start, i - start).ToArray();
            start = i + 2;
            i++;
            var line = CheckLine(octets, problems);
            if (line is null)
            {
                continue;
            }

            if (continuing is not null && !line.StartsWith(continuing, StringComparison.Ordinal))
            {
                problems.Add($"a continued {continuing} reply went on with another code: {line}");
            }

            continuing = line[3] == '-' ? line[..3] : null;
            if (continuing is null)
            {
                codes[line[..3]] = codes.GetValueOrDefault(line[..3]) + 1;
                replies.Add(line);
            }

            // After "220 Ready to start TLS" the server talks TLS (or a TLS alert): no more lines to check.
            if (line.StartsWith("220 2.0.0 Ready to start TLS", StringComparison.Ordinal))
            {
                return problems;
            }
        }

        if (closedCleanly && start < received.Count)
        {
            problems.Add($"{received.Count - start} octet(s) after the last CRLF: {Printable([.. received.Skip(start)])}");
        }

        if (closedCleanly && continuing is not null)
        {
            problems.Add($"the connection closed in the middle of a {continuing} multi-line reply");
        }

        // Our side always ends with QUIT, so a server that hangs up has said 221 or 421 last.
        if (closedCleanly && (replies.Count == 0 || !(replies[^1].StartsWith("221 ", StringComparison.Ordinal) || replies[^1].StartsWith("421 ", StringComparison.Ordinal))))
        {
            problems.Add($"the server closed the connection without a 221 or 421, after: {(replies.Count == 0 ? "nothing" : replies[^1])}");
        }

        return problems;
    }

    private static string? CheckLine(byte[] octets, List<string> problems)
    {
        string line;
        try
        {
            line = StrictUtf8.GetString(octets);
        }
        catch (DecoderFallbackException)
        {
            problems.Add($"not UTF-8: {Printable(octets)}");
            return null;
        }

        if (octets.Length + 2 > 512)
        {
            problems.Add($"{octets.Length + 2} octets: {line}");
        }

        if (line.Any(char.IsControl))
        {
            problems.Add($"a control character (bare CR/LF, NUL, ...): {Printable(octets)}");
        }

        if (line.Length < 4 || !line[..3].All(char.IsAsciiDigit) || line[0] is < '2' or > '5' || line[3] is not (' ' or '-'))
        {
            problems.Add($"not a reply line: {Printable(octets)}");
            return null;
        }

        // RFC 3463 / RFC 2034: a failure names its enhanced status, of the reply's own class. The
        // banner, EHLO/HELO lines, 334 and 354 carry none; other successes do, and then it must match.
        var enhanced = EnhancedStatus(line[4..]);
        if (line[0] is '4' or '5' && enhanced is null)
        {
            problems.Add($"a failure without an enhanced status code: {line}");
        }
        else if (enhanced is not null && enhanced[0] != line[0])
        {
            problems.Add($"an enhanced status code of another class than the reply's: {line}");
        }

        return line;
    }

    /// <summary>The text's leading "class.subject.detail" (RFC 3463), or null.</summary>
    private static string? EnhancedStatus(string text)
    {
        var end = text.IndexOf(' ');
        var first = end < 0 ? text : text[..end];
        var parts = first.Split('.');
        return parts.Length == 3 && parts[0] is "2" or "4" or "5"
            && parts[1].Length is >= 1 and <= 3 && parts[2].Length is >= 1 and <= 3 && parts.Skip(1).All(p => p.All(char.IsAsciiDigit))
            ? first
            : null;
    }

    private static async Task<SslStream> TlsAsync(Stream stream, string certificateHash, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString() == certificateHash,
            },
            cancellationToken);
        return ssl;
    }

    private static async Task WriteAsync(Stream stream, byte[] bytes, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(bytes, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>One line, byte by byte, so nothing past it is read (the TLS handshake follows).</summary>
    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (line.Count < 2 || line[^2] != '\r' || line[^1] != '\n')
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("closed before the fuzzing started");
            }

            line.Add(one[0]);
        }

        return Encoding.UTF8.GetString([.. line]);
    }

    private static bool IsLastLine(string line) => line.Length < 4 || line[3] == ' ';

    private static string Printable(byte[] octets) =>
        string.Concat(octets.Take(120).Select(b => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:X2}")) + (octets.Length > 120 ? "…" : "");
}
