using System.Net;
using System.Net.Sockets;
using System.Text;
using SendApi.Delivery.Transport;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// The stream delivery speaks SMTP over, against a real loopback TCP peer: what MailKit writes is
/// gathered and sent when it flushes or reads (never held while a reply is awaited), and its time
/// limits end a silent peer's wait.
/// </summary>
public sealed class SmtpWireStreamTests : IAsyncLifetime
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Socket _peer = null!;
    private SmtpWireStream _wire = null!;

    public async Task InitializeAsync()
    {
        _listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = _listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        _peer = await accepted;
        _wire = new SmtpWireStream(client);
    }

    public Task DisposeAsync()
    {
        _wire.Dispose();
        _peer.Dispose();
        _listener.Stop();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Writes_are_gathered_until_a_flush_then_arrive_whole_and_in_order()
    {
        // 40 KB in MailKit's 4 KB pieces: less than the gathering buffer holds.
        var message = Enumerable.Range(0, 10).Select(i => Encoding.ASCII.GetBytes($"{i:D4}" + new string('x', 4092))).ToArray();

        foreach (var piece in message)
        {
            await _wire.WriteAsync(piece);
        }

        await Task.Delay(100);
        Assert.Equal(0, _peer.Available);

        await _wire.FlushAsync();
        var received = await ReceiveAsync(message.Sum(p => p.Length));
        Assert.Equal(message.SelectMany(p => p).ToArray(), received);
    }

    [Fact]
    public async Task A_read_sends_what_was_gathered_first_so_the_reply_can_come()
    {
        const string Commands = "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n";
        await _wire.WriteAsync(Encoding.ASCII.GetBytes(Commands));
        var peer = Task.Run(async () =>
        {
            var commands = await ReceiveAsync(Commands.Length);
            await _peer.SendAsync("250 2.1.0 Ok\r\n"u8.ToArray());
            return Encoding.ASCII.GetString(commands);
        });

        var reply = new byte[64];
        var read = await _wire.ReadAsync(reply.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Commands, await peer);
        Assert.Equal("250 2.1.0 Ok\r\n", Encoding.ASCII.GetString(reply, 0, read));
    }

    [Fact]
    public async Task A_write_larger_than_the_gathering_buffer_goes_out_after_what_was_gathered()
    {
        var small = "DATA\r\n"u8.ToArray();
        var large = new byte[SmtpWireStream.GatherBytes + 1000];
        Random.Shared.NextBytes(large);

        await _wire.WriteAsync(small);
        var received = ReceiveAsync(small.Length + large.Length);
        await _wire.WriteAsync(large);
        await _wire.FlushAsync();

        var arrived = await received.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(small.Concat(large).ToArray(), arrived);
    }

    [Fact]
    public async Task A_peer_that_never_answers_ends_the_read_at_the_read_timeout()
    {
        _wire.ReadTimeout = 300;

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<TimeoutException>(() => _wire.ReadAsync(new byte[16].AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("300 ms", error.Message);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_read_timer_is_reused_after_a_reply_and_still_ends_a_later_silence()
    {
        _wire.ReadTimeout = 300;
        await _peer.SendAsync("220 ready\r\n"u8.ToArray());
        var first = await _wire.ReadAsync(new byte[64].AsMemory());
        Assert.Equal(11, first);

        // Longer than the limit between two reads: the limit is per read, not per session.
        await Task.Delay(500);
        await _peer.SendAsync("250 ok\r\n"u8.ToArray());
        Assert.Equal(8, await _wire.ReadAsync(new byte[64].AsMemory()));

        await Assert.ThrowsAsync<TimeoutException>(() => _wire.ReadAsync(new byte[16].AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private async Task<byte[]> ReceiveAsync(int count)
    {
        var buffer = new byte[count];
        var total = 0;
        while (total < count)
        {
            var n = await _peer.ReceiveAsync(buffer.AsMemory(total));
            Assert.NotEqual(0, n);
            total += n;
        }

        return buffer;
    }
}
