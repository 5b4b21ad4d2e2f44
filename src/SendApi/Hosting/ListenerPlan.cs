using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SendApi.Api.Features.Submission;

namespace SendApi.Hosting;

/// <summary>What a listening socket is for, and the setting that chooses its address and port.</summary>
internal enum ListenerRole
{
    Http,
    Https,
    Submission,
    SubmissionTls,
    Inbound,
}

/// <param name="Setting">The setting that names this port, as an operator writes it (env form).</param>
internal sealed record PlannedListener(ListenerRole Role, string Host, int Port, string Setting)
{
    public string Describe() => Role switch
    {
        ListenerRole.Http or ListenerRole.Https => "the HTTP API",
        ListenerRole.Submission => "SMTP submission with STARTTLS",
        ListenerRole.SubmissionTls => "SMTP submission with implicit TLS",
        _ => "inbound SMTP",
    };

    /// <summary>host:port as a client would type it ("localhost:2587", "[::1]:25"), or "port 25 of every address".</summary>
    public string Endpoint => EndpointBinding.IsAnyAddress(Host)
        ? $"port {Port.ToString(CultureInfo.InvariantCulture)} of every address"
        : $"{(Host.Contains(':', StringComparison.Ordinal) && !Host.StartsWith('[') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Every socket this instance listens on, read once from the settings: Kestrel binds exactly
/// these, the start-up check tries them first, and the start-up summary prints them.
/// </summary>
internal sealed class ListenerPlan(IReadOnlyList<PlannedListener> listeners)
{
    public IReadOnlyList<PlannedListener> Listeners { get; } = listeners;

    public static ListenerPlan From(HostingUrls hosting, SmtpOptions smtp)
    {
        var listeners = new List<PlannedListener>(EndpointBinding.HttpListeners(hosting));
        Add(ListenerRole.Submission, smtp.Submission.Port, "Smtp__Submission__Port");
        Add(ListenerRole.SubmissionTls, smtp.SubmissionTls.Port, "Smtp__SubmissionTls__Port");
        Add(ListenerRole.Inbound, smtp.Inbound.Port, "Smtp__Inbound__Port");
        return new ListenerPlan(listeners);

        void Add(ListenerRole role, int port, string setting)
        {
            if (port > 0)
            {
                listeners.Add(new PlannedListener(role, smtp.BindAddress, port, setting));
            }
        }
    }

    /// <summary>
    /// Tries to bind each planned address before Kestrel does, so that a port that can't be had is
    /// reported as one line naming it, its setting and the fix, instead of the host's stack trace.
    /// A probe socket is closed at once and never listens, so the real bind right after is
    /// unaffected (it can still lose a race with another process; then Kestrel's own error shows).
    /// </summary>
    public string? FirstUnavailable()
    {
        foreach (var listener in Listeners.Where(l => l.Port > 0))
        {
            if (Probe(listener) is { } error)
            {
                return Explain(listener, error);
            }
        }

        return null;
    }

    internal static string Explain(PlannedListener listener, SocketError error)
    {
        var what = $"SendApi cannot listen on {listener.Endpoint} for {listener.Describe()} ({listener.Setting})";
        var change = listener.Role is ListenerRole.Http or ListenerRole.Https
            ? $"choose another with {listener.Setting}"
            : $"set {listener.Setting} to another port (0 turns that listener off)";
        var rebind = listener.Role is ListenerRole.Http or ListenerRole.Https ? $"change {listener.Setting}" : "change Smtp__BindAddress";
        return error switch
        {
            SocketError.AccessDenied =>
                $"{what}: permission denied. Ports below 1024 need root or CAP_NET_BIND_SERVICE; {change}, or try it locally with the Development profile (dotnet run --project src/SendApi), which uses ports 2525, 2587 and 2465.",
            SocketError.AddressAlreadyInUse =>
                $"{what}: the port is already in use by another process (check with: ss -ltnp 'sport = :{listener.Port.ToString(CultureInfo.InvariantCulture)}'); stop it or {change}.",
            SocketError.AddressNotAvailable =>
                $"{what}: {listener.Host} is not an address of this machine; {rebind}.",
            SocketError.AddressFamilyNotSupported =>
                $"{what}: this machine has no IPv6; {rebind} to an IPv4 address or localhost.",
            _ => $"{what}: {error}; {change}.",
        };
    }

    /// <summary>
    /// The error Kestrel would meet binding this listener, or null. Kestrel binds "localhost" on
    /// both loopbacks and fails when either port is taken (a machine without IPv6 has only the
    /// first); "every address" on IPv6 in dual mode, falling back to IPv4 when that fails for any
    /// reason but a taken port; an address as it is.
    /// </summary>
    private static SocketError? Probe(PlannedListener listener)
    {
        var host = listener.Host;
        var port = listener.Port;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            var v4 = TryBind(IPAddress.Loopback, port);
            var v6 = TryBind(IPAddress.IPv6Loopback, port);
            return v4 is SocketError.AddressAlreadyInUse || v6 is SocketError.AddressAlreadyInUse ? SocketError.AddressAlreadyInUse
                : v4 is not null && v6 is not null ? v4
                : null;
        }

        if (!EndpointBinding.IsAnyAddress(host) && IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return TryBind(address, port);
        }

        // Every address (a host name is bound as every address too).
        var dualMode = TryBind(IPAddress.IPv6Any, port);
        return dualMode is null or SocketError.AddressAlreadyInUse ? dualMode : TryBind(IPAddress.Any, port);
    }

    /// <summary>Binds and closes a socket at once (it never listens); the error, or null. Creating the socket is inside: without IPv6, that is what fails.</summary>
    private static SocketError? TryBind(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(address, port));
            return null;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
    }
}
