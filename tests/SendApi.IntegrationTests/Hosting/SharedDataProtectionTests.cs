using System.Net;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using SendApi.IntegrationTests.Queue;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Hosting;

/// <summary>
/// Two instances behind one load balancer: a dashboard page served by one is posted to the other.
/// Each process gets its own home directory, so the framework's default key ring (a directory in the
/// user's profile) would differ between them, as it does between two containers or machines.
/// </summary>
public sealed class SharedDataProtectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private readonly List<string> _homes = [];
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        foreach (var home in _homes)
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task A_dashboard_form_from_one_instance_is_accepted_by_another_on_the_same_Redis()
    {
        await using var first = await StartAsync(redis: true);
        await using var second = await StartAsync(redis: true);
        var cookies = new CookieContainer();
        using var onFirst = new OperatorBrowser(first.BaseAddress, SendApiApp.AdminKey, cookies);
        using var onSecond = new OperatorBrowser(second.BaseAddress, SendApiApp.AdminKey, cookies);

        var page = await onFirst.GetPageAsync("/hangfire/mail");
        var response = await onSecond.PostAsync("/hangfire/mail/retry", tokenFrom: page, ("domain", "example.test"));

        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        Assert.True(await redis.GetDatabase().ListLengthAsync("sendapi:dataprotection:keys") >= 1);
    }

    [Fact]
    public async Task A_restarted_instance_accepts_the_form_its_predecessor_served()
    {
        var cookies = new CookieContainer();
        string page;
        await using (var before = await StartAsync(redis: true))
        {
            using var browser = new OperatorBrowser(before.BaseAddress, SendApiApp.AdminKey, cookies);
            page = await browser.GetPageAsync("/hangfire/mail");
        }

        await using var after = await StartAsync(redis: true);
        using var again = new OperatorBrowser(after.BaseAddress, SendApiApp.AdminKey, cookies);
        var response = await again.PostAsync("/hangfire/mail/retry", tokenFrom: page, ("domain", "example.test"));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
    }

    /// <summary>The control: without a shared key ring, the same post is refused (so the test above proves the sharing).</summary>
    [Fact]
    public async Task Embedded_instances_with_separate_homes_do_not_share_keys()
    {
        await using var first = await StartAsync(redis: false);
        await using var second = await StartAsync(redis: false);
        var cookies = new CookieContainer();
        using var onFirst = new OperatorBrowser(first.BaseAddress, SendApiApp.AdminKey, cookies);
        using var onSecond = new OperatorBrowser(second.BaseAddress, SendApiApp.AdminKey, cookies);

        var page = await onFirst.GetPageAsync("/hangfire/mail");
        var response = await onSecond.PostAsync("/hangfire/mail/retry", tokenFrom: page, ("domain", "example.test"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task<SendApiProcess> StartAsync(bool redis)
    {
        var home = Directory.CreateTempSubdirectory("sendapi-home-").FullName;
        _homes.Add(home);
        var settings = new Dictionary<string, string?> { ["HOME"] = home };
        if (redis)
        {
            settings["ConnectionStrings:Redis"] = _redis.ConnectionString;
        }

        var app = SendApiProcess.Start(settings);
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Start));
        return app;
    }
}
