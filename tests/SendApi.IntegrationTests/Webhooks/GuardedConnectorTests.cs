using System.Net;
using Microsoft.Extensions.Options;
using SendApi.Webhooks;
using SendApi.Webhooks.Network;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>
/// The webhook HTTP handler against a real receiver, with host names answered by the test's own
/// resolver (never the system's): the address checked is the address connected to.
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

    private static HttpClient Client(IWebhookHostResolver resolver, bool allowPrivate) =>
        new(new GuardedConnector(resolver, Options.Create(new WebhookOptions { AllowPrivateNetworks = allowPrivate })).CreateHandler());

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
}
