using System.Net;
using System.Net.NetworkInformation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SendApi.IntegrationTests.Harness;
using SendApi.Webhooks;
using SendApi.Webhooks.Network;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>
/// The webhook HTTP handler against a real receiver, with host names answered by the test's own
/// resolver (never the system's): the address checked is the address connected to. Only the
/// receiver on 127.0.0.1 is ever connected to; for every other address the test is that the
/// connector refuses it before connecting.
/// </summary>
public sealed class GuardedConnectorTests : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    /// <summary>Answers from a table, and counts the questions.</summary>
    private sealed class TableResolver(Dictionary<string, IPAddress[]> table) : IWebhookHostResolver
    {
        public int Questions { get; private set; }

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Questions++;
            return Task.FromResult(table.GetValueOrDefault(host) ?? throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
        }
    }

    private static GuardedConnector Connector(IWebhookHostResolver resolver, bool allowPrivate) =>
        new(resolver, new OwnAddresses(TimeProvider.System, TimeSpan.FromMinutes(1), NullLogger<OwnAddresses>.Instance), Options.Create(new WebhookOptions { AllowPrivateNetworks = allowPrivate }));

    private static HttpClient Client(IWebhookHostResolver resolver, bool allowPrivate) => new(Connector(resolver, allowPrivate).CreateHandler());

    /// <summary>This machine's interface addresses, read as the guard reads them, loopback ones included.</summary>
    private static IPAddress[] InterfaceAddresses() =>
    [
        .. NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address),
    ];

    private string UrlWithHost(string host) => _receiver.Url.Replace("127.0.0.1", host, StringComparison.Ordinal);

    [Fact]
    public async Task A_name_that_resolves_to_a_private_address_is_refused_without_connecting()
    {
        var resolver = new TableResolver(new() { ["hooks.test"] = [IPAddress.Loopback] });
        using var client = Client(resolver, allowPrivate: false);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(UrlWithHost("hooks.test"), new StringContent("{}")));

        var refused = Assert.IsType<WebhookAddressRefusedException>(error.InnerException);
        Assert.Contains("hooks.test (127.0.0.1) is a loopback address", refused.Message);
        Assert.Equal(1, resolver.Questions);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task A_resolved_name_is_connected_to_at_the_address_that_was_checked()
    {
        // "named.test" exists only in the test's table: reaching the receiver proves the connection
        // went to the resolver's answer, not to a second lookup.
        var resolver = new TableResolver(new() { ["named.test"] = [IPAddress.Loopback], ["many.test"] = [IPAddress.Parse("10.0.0.1"), IPAddress.Loopback] });
        using (var allowed = Client(resolver, allowPrivate: true))
        {
            using var response = await allowed.PostAsync(UrlWithHost("named.test"), new StringContent("{}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Single(_receiver.Received);

        // Every answer non-public: refused, naming the first.
        using var refusing = Client(resolver, allowPrivate: false);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => refusing.PostAsync(UrlWithHost("many.test"), new StringContent("{}")));
        Assert.Contains("many.test (10.0.0.1) is a private address", error.InnerException!.Message);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task An_ip_literal_is_checked_without_asking_the_resolver()
    {
        var resolver = new TableResolver([]);
        using var client = Client(resolver, allowPrivate: false);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(_receiver.Url, new StringContent("{}")));

        Assert.IsType<WebhookAddressRefusedException>(error.InnerException);
        Assert.Equal(0, resolver.Questions);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        _receiver.Answer = (_, _) => new ReceiverAnswer(307, new Dictionary<string, string> { ["Location"] = "http://169.254.169.254/latest/meta-data/" });
        using var client = Client(new TableResolver([]), allowPrivate: true);

        using var response = await client.PostAsync(_receiver.Url, new StringContent("{}"));

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task The_machines_own_host_name_resolving_to_its_interface_addresses_is_refused_before_connecting()
    {
        // What the system resolver answers for this host's own name: its interface addresses (taken
        // from NetworkInterface here, so no lookup leaves the machine), non-loopback ones first.
        var hostName = Dns.GetHostName();
        var own = InterfaceAddresses().OrderBy(IPAddress.IsLoopback).ToArray();
        var connector = Connector(new TableResolver([]), allowPrivate: false);
        // The guard's decision first: had it let any address through, the request below would connect to it.
        Assert.All(own, address => Assert.NotNull(connector.Refusal(address)));

        var resolver = new TableResolver(new() { [hostName] = own });
        using var client = Client(resolver, allowPrivate: false);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(UrlWithHost(hostName), new StringContent("{}")));

        var refused = Assert.IsType<WebhookAddressRefusedException>(error.InnerException);
        Assert.StartsWith($"{hostName} ({own[0]}) is ", refused.Message);
        Assert.Equal(1, resolver.Questions);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task Each_interface_address_and_its_IPv4_carrying_IPv6_forms_are_refused_without_connecting()
    {
        var v4 = InterfaceAddresses().Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        var spellings = InterfaceAddresses()
            .Concat(v4.Select(a => a.MapToIPv6()))
            .Concat(v4.Select(a => IPAddress.Parse($"::ffff:0:{a}")))
            .Concat(v4.Select(a => IPAddress.Parse($"64:ff9b::{a}")))
            .Concat(v4.Select(a => IPAddress.Parse($"2002:{Convert.ToHexString(a.GetAddressBytes()).Insert(4, ":")}::1")))
            .ToList();
        var connector = Connector(new TableResolver([]), allowPrivate: false);

        foreach (var address in spellings)
        {
            // UsableAddressesAsync is the connector's whole decision; it opens no socket.
            var refused = await Assert.ThrowsAsync<WebhookAddressRefusedException>(() => connector.UsableAddressesAsync(address.ToString(), CancellationToken.None));
            Assert.Contains("may only reach public addresses", refused.Message);
        }
    }
}
