using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.Delivery.Transport;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// MailKit's SmtpClient over <see cref="SmtpWireStream"/> against scripted loopback MX hosts that
/// misbehave on the wire: silent in the TLS handshake, not reading a message, cancelled at shutdown.
/// Each must end within MailKit's time limit (or at once when cancelled), as the exception type the
/// transport classifies, with nothing held back in the gathering buffer.
/// </summary>
public sealed class SmtpWireStreamUnderMailKitTests : IAsyncDisposable
{
    private const int TimeoutMs = 700;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<IDisposable> _owned = [];

    public SmtpWireStreamUnderMailKitTests() => _listener.Start();

    public ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _listener.Stop();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_mx_silent_after_starttls_ends_the_handshake_at_the_time_limit_as_a_handshake_failure()
    {
        var mx = ServeAsync(async (io, _) =>
        {
            await io.GreetAsync("250-mx.test\r\n250 STARTTLS");
            await io.ExpectAsync("STARTTLS");
            await io.ReplyAsync("220 2.0.0 go ahead");
            await io.HoldAsync();
        });

        using var client = NewClient();
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(client, SecureSocketOptions.StartTlsWhenAvailable).WaitAsync(Bound));

        Assert.IsType<SslHandshakeException>(error);
        Assert.IsType<TimeoutException>(Innermost(error));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(TimeoutMs - 100), TimeSpan.FromSeconds(10));
        _ = mx;
    }

    [Fact]
    public async Task A_mx_that_stops_reading_mid_message_ends_the_write_at_the_time_limit_over_tls()
    {
        var mx = ServeAsync(async (io, _) =>
        {
            await io.GreetAsync("250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS");
            var tls = await io.StartTlsAsync("250-mx.test\r\n250 PIPELINING");
            await tls.ExpectAsync("MAIL");
            await tls.ExpectAsync("RCPT");
            await tls.ExpectAsync("DATA");
            await tls.ReplyAsync("250 ok\r\n250 ok\r\n354 go");
            await io.HoldAsync();
        });

        using var client = NewClient();
        await ConnectAsync(client, SecureSocketOptions.StartTlsWhenAvailable).WaitAsync(Bound);
        Assert.True(client.IsSecure);

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(Huge(), Sender, [Recipient]).WaitAsync(Bound));

        Assert.True(error is IOException or TimeoutException, error.ToString());
        Assert.IsType<TimeoutException>(Innermost(error));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(TimeoutMs - 100), TimeSpan.FromSeconds(12));
        Assert.False(client.IsConnected);
        _ = mx;
    }

    [Fact]
    public async Task A_mx_that_stops_reading_mid_message_ends_the_write_at_the_time_limit_in_plaintext()
    {
        var mx = ServeAsync(async (io, _) =>
        {
            await io.GreetAsync("250 mx.test");
            await io.TakeEnvelopeAsync();
            await io.HoldAsync();
        });

        using var client = NewClient();
        await ConnectAsync(client, SecureSocketOptions.None).WaitAsync(Bound);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(Huge(), Sender, [Recipient]).WaitAsync(Bound));

        Assert.IsType<TimeoutException>(error);
        Assert.False(client.IsConnected);
        _ = mx;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task Shutdown_mid_write_or_mid_reply_is_reported_as_cancellation_not_as_a_timeout(bool overTls, bool midWrite)
    {
        var mx = ServeAsync(async (io, _) =>
        {
            await io.GreetAsync(overTls ? "250-mx.test\r\n250 STARTTLS" : "250 mx.test");
            var session = overTls ? await io.StartTlsAsync("250 mx.test") : io;
            await session.TakeEnvelopeAsync();
            if (!midWrite)
            {
                await session.ReadUntilAsync("\r\n.\r\n");
            }

            await io.HoldAsync();
        });

        using var client = NewClient(timeoutMs: 60_000);
        await ConnectAsync(client, overTls ? SecureSocketOptions.StartTlsWhenAvailable : SecureSocketOptions.None).WaitAsync(Bound);
        using var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(800));

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(midWrite ? Huge() : Small(), Sender, [Recipient], shutdown.Token).WaitAsync(Bound));

        Assert.True(error is OperationCanceledException, error.ToString());
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.False(client.IsConnected, "MailKit would send QUIT on this session when the pool closes it");
        _ = mx;
    }

    [Fact]
    public async Task Pipelining_chunking_and_8bitmime_offered_over_tls_deliver_the_message_whole_and_read_its_reply()
    {
        var received = new TaskCompletionSource<string>();
        var mx = ServeAsync(async (io, _) =>
        {
            await io.GreetAsync("250-mx.test\r\n250 STARTTLS");
            var tls = await io.StartTlsAsync("250-mx.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-8BITMIME\r\n250-BINARYMIME\r\n250 SIZE 100000000");
            // MailKit pipelines MAIL and RCPT, waits for their replies, then sends BDAT and the message.
            var commands = await tls.ExpectAsync("MAIL") + "\n" + await tls.ExpectAsync("RCPT") + "\n";
            await tls.ReplyAsync("250 ok\r\n250 ok");
            var verb = await tls.ReadLineAsync();
            string body;
            if (verb.StartsWith("BDAT", StringComparison.Ordinal))
            {
                var size = int.Parse(verb.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                body = Encoding.UTF8.GetString(await tls.ReadBytesAsync(size));
            }
            else
            {
                Assert.Equal("DATA", verb);
                await tls.ReplyAsync("354 go");
                body = await tls.ReadUntilAsync("\r\n.\r\n");
            }

            received.TrySetResult(commands + verb + "\n" + body);
            await tls.ReplyAsync("250 2.0.0 queued as X1");
            await tls.ExpectAsync("QUIT");
            await tls.ReplyAsync("221 bye");
        });

        using var client = NewClient();
        await ConnectAsync(client, SecureSocketOptions.StartTlsWhenAvailable).WaitAsync(Bound);
        var message = Small(10_000);
        var sending = client.SendAsync(message, Sender, [Recipient]).WaitAsync(Bound);
        await Task.WhenAny(sending, mx);
        if (mx.IsFaulted)
        {
            await mx;
        }

        var reply = await sending;

        Assert.Contains("queued as X1", reply);
        var seen = await received.Task.WaitAsync(Bound);
        Assert.Contains("RCPT", seen);
        Assert.Contains(new string('y', 900), seen);
        await client.DisconnectAsync(quit: true).WaitAsync(Bound);
        _ = mx;
    }

    [Fact]
    public async Task A_broken_tls_handshake_closes_its_connection_before_the_plaintext_retry_opens_one()
    {
        var closed = new TaskCompletionSource<bool>();
        var mx = ServeAsync(async (io, _) =>
        {
            await io.GreetAsync("250-mx.test\r\n250 STARTTLS");
            await io.ExpectAsync("STARTTLS");
            await io.ReplyAsync("220 2.0.0 go ahead");
            await io.ReplyAsync("this is not tls at all, just text; this is not tls at all, just text");
            try
            {
                while (true)
                {
                    await io.ReadLineAsync();
                }
            }
            catch (Exception)
            {
                closed.TrySetResult(true);
            }
        });

        using var client = NewClient();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(client, SecureSocketOptions.StartTlsWhenAvailable).WaitAsync(Bound));
        Assert.IsType<SslHandshakeException>(error);
        var result = await Task.WhenAny(closed.Task, Task.Delay(3000));
        Assert.True(result == closed.Task, "MailKit left the connection open after the failed handshake");
        _ = mx;
    }

    [Fact]
    public async Task An_idle_session_after_a_tls_transaction_holds_no_gathering_buffer_and_keeps_the_time_limits()
    {
        var mx = ServeAsync(async (io, _) =>
        {
            await io.GreetAsync("250-mx.test\r\n250 STARTTLS");
            var tls = await io.StartTlsAsync("250 mx.test");
            await tls.TakeEnvelopeAsync();
            await tls.ReadUntilAsync("\r\n.\r\n");
            await tls.ReplyAsync("250 ok");
            await tls.ExpectAsync("NOOP");
            await tls.ReplyAsync("250 ok");
            await io.HoldAsync();
        });

        using var client = NewClient();
        var wire = await ConnectAsync(client, SecureSocketOptions.StartTlsWhenAvailable);
        await client.SendAsync(Small(100_000), Sender, [Recipient]).WaitAsync(Bound);
        await client.NoOpAsync().WaitAsync(Bound);
        var field = typeof(SmtpWireStream).GetField("_gathered", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        Assert.Null(field.GetValue(wire));
        Assert.Equal(TimeoutMs, wire.ReadTimeout);
        Assert.Equal(TimeoutMs, wire.WriteTimeout);
        _ = mx;
    }

    [Fact]
    public async Task A_mx_that_reads_slowly_but_steadily_is_not_cut_off_while_the_message_moves()
    {
        // The MX takes 20 KB at a time with 1 s pauses, steady progress, against a 3 s write limit
        // (2 s of slack for a loaded machine's scheduling: with 0.8 s, CI once timed out); 160 KB
        // take 8 s, so one limit for the whole write would cut it off, as if it had stopped reading.
        // Small socket buffers and network-sized segments (loopback's are 64 KB), so what it has not
        // read cannot hide in the kernel.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        listener.SetRawSocketOption(TcpLevel, TcpMaxSegment, BitConverter.GetBytes(1400));
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 4096 };
        socket.SetRawSocketOption(TcpLevel, TcpMaxSegment, BitConverter.GetBytes(1400));
        var accepting = listener.AcceptAsync();
        await socket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        using var mx = await accepting;
        using var wire = new SmtpWireStream(socket) { WriteTimeout = 3000, ReadTimeout = 3000 };

        const int Size = 160 * 1024;
        const int Burst = 20 * 1024;
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[Burst];
            var total = 0;
            while (total < Size)
            {
                var n = await mx.ReceiveAsync(buffer.AsMemory(total % Burst));
                if (n == 0)
                {
                    break;
                }

                total += n;
                if (total % Burst == 0)
                {
                    await Task.Delay(1000);
                }
            }

            return total;
        });

        var piece = new byte[4096];
        for (var sent = 0; sent < Size; sent += piece.Length)
        {
            await wire.WriteAsync(piece);
        }

        await wire.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Size, await reading.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    // IPPROTO_TCP and TCP_MAXSEG (Linux).
    private const int TcpLevel = 6;
    private const int TcpMaxSegment = 2;

    private static readonly MailboxAddress Sender = MailboxAddress.Parse("a@sender.test");
    private static readonly MailboxAddress Recipient = MailboxAddress.Parse("b@mx.test");

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException is { } inner)
        {
            error = inner;
        }

        return error;
    }

    private static MimeMessage Small(int size = 200) => new(
        [Sender], [Recipient], "hello", new TextPart("plain") { Text = string.Join("\r\n", Enumerable.Repeat(new string('y', 900), Math.Max(1, size / 900))) });

    // Far more than loopback's socket buffers hold, so the writer must wait for the reader.
    private static MimeMessage Huge() => Small(16 * 1024 * 1024);

    private SmtpClient NewClient(int timeoutMs = TimeoutMs)
    {
        var client = new SmtpClient
        {
            Timeout = timeoutMs,
            ServerCertificateValidationCallback = (_, _, _, _) => true,
            CheckCertificateRevocation = false,
        };
        _owned.Add(client);
        return client;
    }

    private async Task<SmtpWireStream> ConnectAsync(SmtpClient client, SecureSocketOptions tls)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _owned.Add(socket);
        await socket.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        var wire = new SmtpWireStream(socket);
        await client.ConnectAsync(wire, "mx.test", 25, tls);
        return wire;
    }

    private Task ServeAsync(Func<Wire, CancellationToken, Task> script) => Task.Run(async () =>
    {
        using var socket = await _listener.AcceptSocketAsync();
        var io = new Wire(new NetworkStream(socket, ownsSocket: false));
        try
        {
            await script(io, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or ObjectDisposedException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            // The client hung up: that is what most of these scripts wait for.
        }
    });

    /// <summary>The MX's side of a scripted session, line by line.</summary>
    private sealed class Wire(Stream stream)
    {
        private readonly List<byte> _pending = [];

        public async Task ReplyAsync(string lines)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(lines + "\r\n"));
            await stream.FlushAsync();
        }

        public async Task<string> ExpectAsync(string verb)
        {
            var line = await ReadLineAsync();
            Assert.StartsWith(verb, line, StringComparison.OrdinalIgnoreCase);
            return line;
        }

        public async Task<string> ReadLineAsync()
        {
            while (true)
            {
                var at = _pending.IndexOf((byte)'\n');
                if (at >= 0)
                {
                    var line = Encoding.ASCII.GetString([.. _pending.Take(at)]).TrimEnd('\r');
                    _pending.RemoveRange(0, at + 1);
                    return line;
                }

                await FillAsync();
            }
        }

        public async Task<string> ReadUntilAsync(string marker)
        {
            var text = new StringBuilder();
            while (true)
            {
                var all = Encoding.ASCII.GetString([.. _pending]);
                var at = all.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var end = at + marker.Length;
                    text.Append(all, 0, end);
                    _pending.RemoveRange(0, end);
                    return text.ToString();
                }

                await FillAsync();
            }
        }

        public async Task<byte[]> ReadBytesAsync(int count)
        {
            while (_pending.Count < count)
            {
                await FillAsync();
            }

            var bytes = _pending.Take(count).ToArray();
            _pending.RemoveRange(0, count);
            return bytes;
        }

        /// <summary>The greeting, then the EHLO answered with <paramref name="ehlo"/>.</summary>
        public async Task GreetAsync(string ehlo)
        {
            await ReplyAsync("220 mx.test ESMTP");
            await ExpectAsync("EHLO");
            await ReplyAsync(ehlo);
        }

        /// <summary>STARTTLS taken, the handshake done, and the EHLO over TLS answered with <paramref name="ehlo"/>.</summary>
        public async Task<Wire> StartTlsAsync(string ehlo)
        {
            await ExpectAsync("STARTTLS");
            await ReplyAsync("220 2.0.0 go ahead");
            var secured = new SslStream(stream, leaveInnerStreamOpen: true);
            await secured.AuthenticateAsServerAsync(Certificate.Value);
            var tls = new Wire(secured);
            await tls.ExpectAsync("EHLO");
            await tls.ReplyAsync(ehlo);
            return tls;
        }

        /// <summary>MAIL, RCPT and DATA one at a time, each accepted, up to the 354.</summary>
        public async Task TakeEnvelopeAsync()
        {
            await ExpectAsync("MAIL");
            await ReplyAsync("250 ok");
            await ExpectAsync("RCPT");
            await ReplyAsync("250 ok");
            await ExpectAsync("DATA");
            await ReplyAsync("354 go");
        }

        // Reads nothing more and answers nothing: until the client hangs up or the test ends.
        public Task HoldAsync() => Task.Delay(TimeSpan.FromSeconds(30));

        private async Task FillAsync()
        {
            var buffer = new byte[16 * 1024];
            var n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            _pending.AddRange(buffer.Take(n));
        }
    }

    private static readonly Lazy<X509Certificate2> Certificate = new(() =>
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=mx.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
    });
}
