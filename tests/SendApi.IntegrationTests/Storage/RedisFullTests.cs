using System.Net;
using System.Net.Http.Json;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// A Redis at its <c>maxmemory</c> with <c>noeviction</c> (what docs/deployment.md asks for, so that
/// it refuses writes rather than drop mail) answers writes with OOM: SendApi answers "try again
/// later", as for any moment it cannot store, and takes mail again once Redis has room.
/// </summary>
public sealed class RedisFullTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private RedisServer _redis = null!;
    private SendApiApp _app = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync("--maxmemory-policy", "noeviction");
        _app = new SendApiApp(world.Settings(new() { ["ConnectionStrings:Redis"] = _redis.ConnectionString }));
        await _app.Client().GetAsync("/health/ready");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_full_redis_gets_503_with_retry_after_not_500_and_mail_is_taken_again_once_it_has_room()
    {
        var client = _app.Client();
        // Below what it already uses: every write that could grow memory is refused with OOM.
        Assert.Equal("+OK", await _redis.ExecuteAsync("CONFIG", "SET", "maxmemory", "1"));

        foreach (var (what, request) in new (string, Func<Task<HttpResponseMessage>>)[]
        {
            ("POST /messages", () => client.PostAsJsonAsync("/messages", Message())),
            ("POST /suppressions", () => client.PostAsJsonAsync("/suppressions", new { address = $"full-{Guid.NewGuid():N}@example.test" })),
        })
        {
            using var response = await request();
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"{what}: Retry-After {response.Headers.RetryAfter}");
        }

        Assert.Equal("+OK", await _redis.ExecuteAsync("CONFIG", "SET", "maxmemory", "0"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            using var response = await client.PostAsJsonAsync("/messages", Message());
            status = response.StatusCode;
        }
        while (status != HttpStatusCode.Accepted && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    private static object Message() => new
    {
        from = "app@acme.test",
        to = new[] { $"full-{Guid.NewGuid():N}@example.test" },
        subject = "redis is full",
        text = "x",
    };
}
