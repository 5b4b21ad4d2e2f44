using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>What a <see cref="FaultyMx"/> does wrong.</summary>
public enum MxFault
{
    /// <summary>"421 4.3.2 Service not available" instead of the greeting, then closes.</summary>
    RefusesAtGreeting,

    /// <summary>"451 4.3.0" to every RCPT.</summary>
    DefersRecipients,

    /// <summary>Accepts two RCPTs per transaction, then "452 4.5.3 Too many recipients".</summary>
    TakesTwoRecipients,

    /// <summary>"550 5.7.1" to DATA.</summary>
    RejectsData,

    /// <summary>Closes the connection halfway through the message after 354.</summary>
    DropsMidData,

    /// <summary>Reads the whole message, final dot included, and closes without a reply.</summary>
    DropsAfterFinalDot,

    /// <summary>Reads the whole message and never answers the final dot (a tarpit).</summary>
    HoldsTheFinalDot,

    /// <summary>Offers STARTTLS, answers 220 to it, then speaks garbage instead of TLS; plaintext sessions (no STARTTLS) work.</summary>
    BreaksTlsAfterStartTls,

    /// <summary>Answers 250 at the final dot, then closes the connection (one message per connection, as some servers limit it).</summary>
    ClosesAfterEachMessage,

    /// <summary>No fault: a well-behaved MX, to see what a client sends it (<see cref="FaultyMx.Resets"/>).</summary>
    None,
}

/// <summary>
/// A misbehaving recipient MX on a loopback address: just enough SMTP (EHLO, MAIL, RCPT, DATA, RSET,
/// QUIT) to reach the fault it was made with. aiosmtpd and smtp-sink cannot drop a connection
/// mid-DATA, stay silent after the final dot or break a TLS handshake on purpose, and these are what
/// real MX hosts do on a bad day. Messages it accepted (to the final dot answered 250) are counted
/// per recipient.
/// </summary>
public sealed class FaultyMx : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly MxFault _fault;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly ConcurrentQueue<string> _accepted = new();
    private readonly Task _accepting;
    private int _resets;

    private FaultyMx(TcpListener listener, MxFault fault)
    {
        _listener = listener;
        _fault = fault;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>Recipients of the messages it answered 250 at the final dot, one entry per copy.</summary>
    public IReadOnlyList<string> Accepted => [.. _accepted];

    /// <summary>How many connections it took.</summary>
    public int Connections => _clients.Count;

    /// <summary>How many RSET commands it was sent, over all connections.</summary>
    public int Resets => _resets;

    public static FaultyMx Start(string ip, int port, MxFault fault)
    {
        var listener = new TcpListener(IPAddress.Parse(ip), port);
        listener.Start();
        return new FaultyMx(listener, fault);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _clients.Add(client);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.Latin1);
                async Task Say(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), _stop.Token);

                if (_fault == MxFault.RefusesAtGreeting)
                {
                    await Say("421 4.3.2 mx.faulty.test Service not available, closing");
                    return;
                }

                await Say("220 mx.faulty.test ESMTP");
                var recipients = new List<string>();
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await Say(_fault == MxFault.BreaksTlsAfterStartTls ? "250-mx.faulty.test\r\n250-STARTTLS\r\n250 8BITMIME" : "250-mx.faulty.test\r\n250 8BITMIME");
                            break;
                        case "HELO":
                            await Say("250 mx.faulty.test");
                            break;
                        case "STARTTLS":
                            await Say("220 2.0.0 Ready to start TLS");
                            await stream.WriteAsync("this is not a TLS server hello\r\n"u8.ToArray(), _stop.Token);
                            return;
                        case "MAIL":
                            recipients.Clear();
                            await Say("250 2.1.0 Ok");
                            break;
                        case "RCPT":
                            if (_fault == MxFault.DefersRecipients)
                            {
                                await Say("451 4.3.0 Try again later");
                            }
                            else if (_fault == MxFault.TakesTwoRecipients && recipients.Count >= 2)
                            {
                                await Say("452 4.5.3 Too many recipients");
                            }
                            else
                            {
                                recipients.Add(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Trim('<', '>'));
                                await Say("250 2.1.5 Ok");
                            }

                            break;
                        case "DATA":
                            if (_fault == MxFault.RejectsData)
                            {
                                await Say("550 5.7.1 Message refused by policy");
                                break;
                            }

                            await Say("354 End data with <CR><LF>.<CR><LF>");
                            if (_fault == MxFault.DropsMidData)
                            {
                                await reader.ReadLineAsync(_stop.Token);
                                client.Client.LingerState = new LingerOption(true, 0);
                                return;
                            }

                            while (await reader.ReadLineAsync(_stop.Token) is { } data && data != ".")
                            {
                            }

                            if (_fault == MxFault.DropsAfterFinalDot)
                            {
                                return;
                            }

                            if (_fault == MxFault.HoldsTheFinalDot)
                            {
                                await Task.Delay(Timeout.Infinite, _stop.Token);
                            }

                            foreach (var recipient in recipients)
                            {
                                _accepted.Enqueue(recipient);
                            }

                            await Say("250 2.0.0 Ok: queued");
                            if (_fault == MxFault.ClosesAfterEachMessage)
                            {
                                return;
                            }

                            break;
                        case "RSET":
                            Interlocked.Increment(ref _resets);
                            await Say("250 2.0.0 Ok");
                            break;
                        case "NOOP":
                            await Say("250 2.0.0 Ok");
                            break;
                        case "QUIT":
                            await Say("221 2.0.0 Bye");
                            return;
                        default:
                            await Say("502 5.5.2 Command not recognized");
                            break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the test is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _accepting;
        _stop.Dispose();
    }
}
