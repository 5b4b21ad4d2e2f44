using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>
/// One fuzzed session: writes the input in random chunks while reading everything the server
/// sends, then ends its side of the connection and reads on until the server closes. Returns the
/// problems found in what the server sent (none is the only good answer).
/// </summary>
internal static class SmtpFuzzSession
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="Codes">How many replies of each code: shows how deep the fuzzing got (235, 354, ...).</param>
    public sealed record Outcome(List<string> Problems, Dictionary<string, int> Codes);

    /// <param name="startTls">Greets and upgrades with STARTTLS before the fuzzing starts (587 and 25).</param>
    public static async Task<Outcome> RunAsync(int port, bool implicitTls, bool startTls, SmtpFuzzInput input, int lines)
    {
        using var deadline = new CancellationTokenSource(Limit);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port, deadline.Token);
        Stream stream = tcp.GetStream();
        if (implicitTls)
        {
            stream = await TlsAsync(stream, deadline.Token);
        }

        if (startTls)
        {
            // Not fuzzed: a plain greeting and upgrade, so the fuzzing runs inside STARTTLS.
            await ReadLineAsync(stream, deadline.Token); // banner
            await WriteAsync(stream, "EHLO fuzz.test\r\n"u8.ToArray(), deadline.Token);
            while (!IsLastLine(await ReadLineAsync(stream, deadline.Token)))
            {
            }

            await WriteAsync(stream, "STARTTLS\r\n"u8.ToArray(), deadline.Token);
            await ReadLineAsync(stream, deadline.Token);
            stream = await TlsAsync(stream, deadline.Token);
        }

        var received = new List<byte>();
        var reading = ReadToEndAsync(stream, received, deadline.Token);
        await WriteFuzzAsync(tcp, stream, input, lines, deadline.Token);
        var closedCleanly = await reading;
        await stream.DisposeAsync();

        var problems = Check(received, closedCleanly, out var codes);
        if (deadline.IsCancellationRequested)
        {
            problems.Add($"the server neither answered nor closed within {Limit}");
        }

        return new Outcome(problems, codes);
    }

    private static async Task WriteFuzzAsync(TcpClient tcp, Stream stream, SmtpFuzzInput input, int lines, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var chunk in input.Chunks(input.Session(lines)))
            {
                await stream.WriteAsync(chunk, cancellationToken);
            }

            // Whatever state the fuzz left: end a DATA, answer an AUTH challenge, then leave.
            await stream.WriteAsync("\r\n.\r\nQUIT\r\n"u8.ToArray(), cancellationToken);
            if (stream is SslStream ssl)
            {
                await ssl.ShutdownAsync();
            }

            tcp.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException
            or System.Security.Cryptography.CryptographicException)
        {
            // The server hung up first (too many errors, an HTTP verb, a failed STARTTLS): allowed.
            // Over TLS, OpenSSL reports that to our own close_notify as "application data after
            // close notify" when the server's goodbye crossed it.
        }
    }

    /// <summary>Reads until the server closes; false when the connection was reset rather than closed.</summary>
    private static async Task<bool> ReadToEndAsync(Stream stream, List<byte> received, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
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
    /// digits and a space or hyphen; a multi-line reply keeps its code; the stream ends after a last line.
    /// </summary>
    internal static List<string> Check(List<byte> received, bool closedCleanly, out Dictionary<string, int> codes)
    {
        var problems = new List<string>();
        codes = [];
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

        return line;
    }

    private static async Task<SslStream> TlsAsync(Stream stream, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString() == TestCertificate.Server.GetCertHashString(),
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
