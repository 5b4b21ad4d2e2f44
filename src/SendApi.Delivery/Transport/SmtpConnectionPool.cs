using System.Collections.Concurrent;
using System.Net;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;

namespace SendApi.Delivery.Transport;

/// <summary>
/// Open SMTP sessions kept per MX address for the next message (like Postfix's connection cache):
/// a session is reused up to <see cref="DeliveryOptions.MessagesPerConnection"/> times and closed
/// after <see cref="DeliveryOptions.ConnectionIdleTimeout"/> unused. At most
/// <see cref="DeliveryOptions.MaxConnectionsPerHost"/> sessions per address are open at once:
/// a new one is opened only when no idle one is left, so busy + idle never exceeds the cap.
/// </summary>
internal sealed class SmtpConnectionPool : IAsyncDisposable
{
    private readonly DeliveryOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<PoolKey, Host> _hosts = new();
    private readonly ITimer _sweeper;

    public SmtpConnectionPool(IOptions<DeliveryOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var idle = _options.ConnectionIdleTimeoutValue;
        _sweeper = time.CreateTimer(_ => _ = CloseIdleAsync(), null, idle / 2, idle / 2);
    }

    internal readonly record struct PoolKey(string Host, IPAddress Address, int Port);

    /// <summary>An open session and how much it has carried.</summary>
    internal sealed class Session(RecordingSmtpClient client, string via)
    {
        public RecordingSmtpClient Client { get; } = client;

        public string Via { get; } = via;

        public int Transactions { get; set; }

        public DateTimeOffset LastUsed { get; set; }
    }

    internal sealed class Host(int capacity)
    {
        public int Capacity { get; } = capacity;

        public SemaphoreSlim Busy { get; } = new(capacity, capacity);

        public ConcurrentStack<Session> Idle { get; } = new();

        /// <summary>Set once the sweeper dropped it from the pool: sessions returned to it are closed, not kept.</summary>
        public volatile bool Retired;
    }

    /// <summary>Waits for a slot at this address; dispose the result to give it back.</summary>
    public async ValueTask<Slot> AcquireAsync(PoolKey key, CancellationToken cancellationToken)
    {
        while (true)
        {
            var host = _hosts.GetOrAdd(key, _ => new Host(_options.MaxConnectionsPerHost));
            await host.Busy.WaitAsync(cancellationToken);
            if (!host.Retired)
            {
                return new Slot(this, key, host);
            }

            // Swept between the lookup and the wait: its replacement holds the address's cap.
            host.Busy.Release();
        }
    }

    /// <summary>A reserved place at one address: reuse an idle session or open one, then return or close it.</summary>
    internal sealed class Slot(SmtpConnectionPool pool, PoolKey key, Host host) : IDisposable
    {
        public PoolKey Key { get; } = key;

        /// <summary>An idle session still open (quiet, or answering RSET), or null (the caller opens one).</summary>
        public async ValueTask<Session?> TakeIdleAsync(CancellationToken cancellationToken)
        {
            var deadline = pool._time.GetUtcNow() - pool._options.ConnectionIdleTimeoutValue;
            while (host.Idle.TryPop(out var session))
            {
                if (session.LastUsed < deadline || !session.Client.IsConnected)
                {
                    await CloseAsync(session);
                    continue;
                }

                // The peer may have dropped it meanwhile. A session is kept only after a transaction
                // that ended cleanly (the reply to the final dot ends it: RFC 5321 4.1.1.4), so there
                // is no state to clear: when the server has said and done nothing since, as far as the
                // kernel knows, it is used as it is, which spares every reused message a round trip.
                // Anything else (a FIN, an unasked "421", leftover TLS records) is probed with RSET.
                // Either way a server that closes just now fails the transaction before its content
                // goes out (MailKit reads the replies to MAIL and RCPT first) and defers it, as any
                // connection lost then.
                bool alive;
                try
                {
                    alive = session.Client.IsQuiet() || await session.Client.TryResetAsync(cancellationToken);
                }
                catch
                {
                    await CloseAsync(session);
                    throw;
                }

                if (alive)
                {
                    return session;
                }

                await CloseAsync(session);
            }

            return null;
        }

        /// <summary>Keeps a session that just completed a transaction, unless it has carried enough.</summary>
        public async ValueTask ReturnAsync(Session session)
        {
            session.Transactions++;
            session.LastUsed = pool._time.GetUtcNow();
            if (session.Transactions >= pool._options.MessagesPerConnection || !session.Client.IsConnected || host.Retired)
            {
                await CloseAsync(session);
                return;
            }

            host.Idle.Push(session);
        }

        public void Dispose() => host.Busy.Release();
    }

    private async Task CloseIdleAsync()
    {
        var deadline = _time.GetUtcNow() - _options.ConnectionIdleTimeoutValue;
        foreach (var host in _hosts.Values)
        {
            var keep = new List<Session>();
            while (host.Idle.TryPop(out var session))
            {
                if (session.LastUsed < deadline)
                {
                    await CloseAsync(session);
                }
                else
                {
                    keep.Add(session);
                }
            }

            foreach (var session in Enumerable.Reverse(keep))
            {
                host.Idle.Push(session);
            }
        }

        // Mail goes to many MX addresses once and never again; an address with nothing open and
        // nothing in flight leaves the pool, so the pool's size follows current traffic.
        foreach (var (key, host) in _hosts)
        {
            if (host.Idle.IsEmpty && host.Busy.CurrentCount == host.Capacity)
            {
                // Retired first: whoever found it just before it leaves sees that and looks again.
                host.Retired = true;
                _hosts.TryRemove(new KeyValuePair<PoolKey, Host>(key, host));
            }
        }
    }

    /// <summary>How many MX addresses the pool tracks (for tests).</summary>
    internal int HostCount => _hosts.Count;

    /// <summary>QUIT and close, never throwing: the session's messages were settled before.</summary>
    public static async ValueTask CloseAsync(Session session)
    {
        using (session.Client)
        {
            if (!session.Client.IsConnected)
            {
                return;
            }

            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await session.Client.DisconnectAsync(quit: true, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or SmtpProtocolException or SmtpCommandException or OperationCanceledException or TimeoutException)
            {
                // A peer that hangs up first changes nothing.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        foreach (var host in _hosts.Values)
        {
            while (host.Idle.TryPop(out var session))
            {
                await CloseAsync(session);
            }
        }
    }
}
