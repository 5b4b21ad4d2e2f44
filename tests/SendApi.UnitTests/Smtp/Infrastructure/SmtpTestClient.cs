using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>A raw SMTP client: writes exactly the bytes a test gives it and reads replies line by line.</summary>
internal sealed class SmtpTestClient : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _tcp;
    private readonly List<byte> _received = [];
    private Stream _stream;

    private SmtpTestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<SmtpTestClient> ConnectAsync(int port, bool implicitTls = false)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        var client = new SmtpTestClient(tcp);
        if (implicitTls)
        {
            await client.HandshakeAsync();
        }

        return client;
    }

    /// <summary>Takes over a connection the test opened itself (e.g. one held silent until now).</summary>
    public static SmtpTestClient Wrap(TcpClient tcp) => new(tcp);

    public bool IsTls => _stream is SslStream;

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Shuts down the sending side (a FIN), as <c>printf … | nc -N</c> does once its input ends; replies can still be read.</summary>
    public void ShutdownSending() => _tcp.Client.Shutdown(SocketShutdown.Send);

    /// <summary>One byte per write, with a pause, so the server sees the bytes across many reads.</summary>
    public async Task TrickleAsync(string text)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            await SendAsync([b]);
            await Task.Delay(1);
        }
    }

    /// <summary>Sends one command line (CRLF added) and returns its reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>A whole reply, multi-line ones joined with "\n".</summary>
    public async Task<string> ReadReplyAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync() ?? throw new IOException($"Connection closed; reply so far: {string.Join("\n", lines)}");
            lines.Add(line);
            if (line.Length < 4 || line[3] == ' ')
            {
                return string.Join("\n", lines);
            }
        }
    }

    /// <summary>True when the server closes the connection (within the timeout) without sending anything more.</summary>
    public async Task<bool> IsClosedAsync()
    {
        try
        {
            return await ReadLineAsync() is null && _received.Count == 0;
        }
        catch (IOException)
        {
            return true; // reset
        }
    }

    /// <summary>True when nothing arrives within <paramref name="wait"/> (the connection stays usable).</summary>
    public async Task<bool> NothingArrivesAsync(TimeSpan wait)
    {
        if (_received.Count > 0)
        {
            return false;
        }

        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            _received.AddRange(buffer.AsSpan(0, read));
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Upgrades to TLS (after "220 Ready to start TLS", or at once for implicit TLS).</summary>
    public async Task HandshakeAsync()
    {
        Assert.Empty(_received); // anything read ahead would be plaintext the server sent after its 220
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHashString() == TestCertificate.Server.GetCertHashString(),
        });
        _stream = ssl;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private async Task<string?> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        var buffer = new byte[4096];
        while (true)
        {
            for (var i = 1; i < _received.Count; i++)
            {
                if (_received[i - 1] == '\r' && _received[i] == '\n')
                {
                    var line = Encoding.UTF8.GetString([.. _received.Take(i - 1)]);
                    _received.RemoveRange(0, i + 1);
                    return line;
                }
            }

            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                return null;
            }

            _received.AddRange(buffer.AsSpan(0, read));
        }
    }
}
