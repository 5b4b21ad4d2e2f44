using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace SendApi.Webhooks.Network;

/// <summary>Resolves an endpoint's host name. The system resolver in production; tests supply their own.</summary>
public interface IWebhookHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

internal sealed class SystemHostResolver : IWebhookHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>A connection refused by the SSRF guard.</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);

/// <summary>
/// The HTTP handler for webhooks. Its connect step resolves the host itself, drops every
/// non-public address and connects to one that passed: the address checked is the address used,
/// so a name that changes its answer between a check and the connection (DNS rebinding) cannot
/// slip through. Non-public means <see cref="NonPublicAddresses"/> or one of this host's own
/// addresses (<see cref="OwnAddresses"/>). No proxy (it would connect instead of us), no redirects
/// (a public endpoint could bounce us to a private one), no cookies.
/// </summary>
internal sealed class GuardedConnector(IWebhookHostResolver resolver, OwnAddresses own, IOptions<WebhookOptions> options)
{
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = options.Value.TimeoutValue,
        // Pooled connections are to checked addresses; recycling them picks up a name's new address.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = ConnectAsync,
    };

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var usable = await UsableAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        SocketException? last = null;
        foreach (var address in usable)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    /// <summary>
    /// The addresses of <paramref name="host"/> a connection may go to, in the resolver's order;
    /// throws <see cref="WebhookAddressRefusedException"/> (naming the first refused address) when
    /// there are none. Nothing is connected to here.
    /// </summary>
    public async Task<IPAddress[]> UsableAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await resolver.ResolveAsync(host, cancellationToken);
        var usable = options.Value.AllowPrivateNetworks ? addresses : [.. addresses.Where(a => Refusal(a) is null)];
        if (usable.Length == 0)
        {
            throw new WebhookAddressRefusedException(addresses.Length == 0
                ? $"{host} has no address."
                : WebhookUrls.NotAllowed($"{host} ({addresses[0]})", Refusal(addresses[0])!));
        }

        return usable;
    }

    /// <summary>Why a webhook may not connect to <paramref name="address"/> (e.g. "a loopback address"), or null when it may.</summary>
    public string? Refusal(IPAddress address) => NonPublicAddresses.Classify(address) ?? own.Classify(address);
}
