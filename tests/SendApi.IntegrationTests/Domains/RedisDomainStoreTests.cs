using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Domains;

/// <summary>Sender domains and their keys on a real redis-server: they outlive the instance that created them.</summary>
[Collection(DomainsCollection.Name)]
public sealed class RedisDomainStoreTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task A_key_stored_in_redis_still_signs_after_a_restart()
    {
        var settings = world.Settings(new() { ["ConnectionStrings:Redis"] = _redis.ConnectionString });
        JsonNode registered;
        string apiKey;
        await using (var first = new SendApiApp(settings))
        {
            apiKey = await first.CreateKeyAsync("redis-shop");
            registered = await first.Client(apiKey).RegisterDomainAsync("acme.test");

            var stored = (string?)await first.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
                .HashGetAsync("sendapi:domains:redis-shop", "acme.test");
            Assert.Contains("BEGIN PRIVATE KEY", stored);
        }

        await using var second = new SendApiApp(settings);
        var client = second.Client(apiKey);
        var listed = Assert.Single(JsonNode.Parse(await client.GetStringAsync("/domains"))!["data"]!.AsArray())!;
        Assert.Equal((string?)registered["dkim"]!["selector"], (string?)listed["dkim"]!["selector"]);
        Assert.Equal(DomainsTestKit.DkimRecord(registered), DomainsTestKit.DkimRecord(listed));

        var (recordName, recordValue) = DomainsTestKit.DkimRecord(registered);
        await using var dns = await DnsServer.StartAsync(zone => zone.Txt(recordName, recordValue));
        var to = $"redis-{Guid.NewGuid():N}@example.test";
        var id = await client.SendAsync(new { from = "orders@acme.test", to = new[] { to }, subject = "after a restart", text = "x" });
        await client.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "delivered");
        var received = (await world.Mx1.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20), m => m.RcptTos.Contains(to)))[0].Parse();
        Assert.True(await DomainsTestKit.VerifyAsync(received, dns.CreateLookupClient()));
    }
}
