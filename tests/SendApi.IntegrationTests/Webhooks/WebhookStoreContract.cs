using SendApi.Core.Webhooks;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>What both storage modes must do with endpoints and their delivery logs.</summary>
public abstract class WebhookStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract (IWebhookStore Webhooks, IWebhookDeliveryLog Log) CreateStore();

    protected static Webhook Hook(string account = "acct", string? id = null) =>
        new(id ?? $"wh_{Guid.NewGuid():N}", account, "https://hooks.example.com/x", ["message.delivered", "message.failed"], T0, "whsec_AAAA");

    protected static WebhookDelivery Delivery(Webhook webhook, string eventId, DateTimeOffset? at = null) =>
        new(WebhookDelivery.IdFor(eventId, webhook.Id), webhook.Id, webhook.AccountId, eventId, "message.delivered", "m1",
            "{\"type\":\"message.delivered\"}", at ?? T0, WebhookDeliveryStatus.Pending, 0, 0, null, []);

    [Fact]
    public async Task An_endpoint_is_visible_to_its_account_only()
    {
        var (webhooks, _) = CreateStore();
        var hook = Hook();
        await webhooks.CreateAsync(hook, default);

        var found = await webhooks.FindAsync("acct", hook.Id, default);
        Assert.NotNull(found);
        Assert.Equal(hook, found with { Events = hook.Events });
        Assert.Equal(hook.Events, found.Events);
        Assert.Null(await webhooks.FindAsync("other", hook.Id, default));
        Assert.Equal([hook.Id], (await webhooks.ListAsync("acct", default)).Select(w => w.Id));
        Assert.Empty(await webhooks.ListAsync("other", default));
        Assert.False(await webhooks.DeleteAsync("other", hook.Id, default));
        Assert.True(await webhooks.DeleteAsync("acct", hook.Id, default));
        Assert.Null(await webhooks.FindAsync("acct", hook.Id, default));
        Assert.False(await webhooks.DeleteAsync("acct", hook.Id, default));
    }

    [Fact]
    public async Task Rotation_keeps_the_previous_secret_until_it_expires()
    {
        var (webhooks, _) = CreateStore();
        var hook = Hook();
        await webhooks.CreateAsync(hook, default);

        Assert.Null(await webhooks.RotateSecretAsync("other", hook.Id, "whsec_BBBB", T0.AddHours(24), default));
        var rotated = await webhooks.RotateSecretAsync("acct", hook.Id, "whsec_BBBB", T0.AddHours(24), default);

        Assert.Equal("whsec_BBBB", rotated!.Secret);
        Assert.Equal([new RetiredSecret("whsec_AAAA", T0.AddHours(24))], rotated.PreviousSecrets);
        Assert.Equal(T0.AddHours(24), rotated.PreviousSecretExpiresAt);
        Assert.Equal(["whsec_BBBB", "whsec_AAAA"], rotated.SigningSecrets(T0.AddHours(23)));
        Assert.Equal(["whsec_BBBB"], rotated.SigningSecrets(T0.AddHours(24)));
        Assert.Equal(rotated.PreviousSecrets, (await webhooks.FindAsync("acct", hook.Id, default))!.PreviousSecrets);
    }

    [Fact]
    public async Task A_second_rotation_within_the_grace_period_keeps_both_earlier_secrets_signing()
    {
        // A rotation retried after its answer was lost: its secret (CCCC) was never seen, and the
        // receiver still checks AAAA. Both earlier secrets sign until their own grace ends.
        var (webhooks, _) = CreateStore();
        var hook = Hook();
        await webhooks.CreateAsync(hook, default);

        await webhooks.RotateSecretAsync("acct", hook.Id, "whsec_CCCC", T0.AddHours(24), default);
        var again = await webhooks.RotateSecretAsync("acct", hook.Id, "whsec_DDDD", T0.AddHours(25), default);

        Assert.Equal(["whsec_DDDD", "whsec_CCCC", "whsec_AAAA"], again!.SigningSecrets(T0.AddHours(1)));
        Assert.Equal(["whsec_DDDD", "whsec_CCCC"], again.SigningSecrets(T0.AddHours(24)));
        Assert.Equal(T0.AddHours(25), again.PreviousSecretExpiresAt);
        Assert.Equal(again.SigningSecrets(T0.AddHours(1)), (await webhooks.FindAsync("acct", hook.Id, default))!.SigningSecrets(T0.AddHours(1)));

        // However many rotations, a bounded number of earlier secrets is kept.
        for (var i = 0; i < 10; i++)
        {
            await webhooks.RotateSecretAsync("acct", hook.Id, $"whsec_R{i}", T0.AddHours(26), default);
        }

        Assert.Equal(1 + Webhook.PreviousSecretsKept, (await webhooks.FindAsync("acct", hook.Id, default))!.SigningSecrets(T0).Count);
    }

    [Fact]
    public async Task A_disabled_endpoint_receives_nothing_and_a_rotation_does_not_enable_it()
    {
        var (webhooks, _) = CreateStore();
        var hook = Hook();
        await webhooks.CreateAsync(hook, default);
        await webhooks.DisableAsync("other", hook.Id, T0, "nope", default);
        Assert.True((await webhooks.FindAsync("acct", hook.Id, default))!.IsEnabled);

        await webhooks.DisableAsync("acct", hook.Id, T0, "answered 410 Gone", default);
        await webhooks.RotateSecretAsync("acct", hook.Id, "whsec_CCCC", T0.AddDays(1), default);

        var stored = (await webhooks.FindAsync("acct", hook.Id, default))!;
        Assert.False(stored.IsEnabled);
        Assert.Equal("answered 410 Gone", stored.DisabledReason);
        Assert.False(stored.Receives("message.delivered"));
        Assert.Equal("whsec_CCCC", stored.Secret);
    }

    [Fact]
    public async Task A_delivery_is_added_once_and_updated_in_place()
    {
        var (webhooks, log) = CreateStore();
        var hook = Hook();
        await webhooks.CreateAsync(hook, default);
        var delivery = Delivery(hook, "1-0");

        Assert.True(await log.AddAsync(delivery, default));
        Assert.False(await log.AddAsync(delivery with { Payload = "{}" }, default));
        Assert.Equal(delivery.Payload, (await log.FindAsync(hook.Id, delivery.Id, default))!.Payload);

        var attempt = new WebhookAttempt(T0, 500, 12, "HTTP 500");
        await log.SaveAsync(delivery with { Attempts = 1, Retries = 1, NextRetryAt = T0.AddSeconds(5), History = [attempt] }, default);
        var saved = (await log.FindAsync(hook.Id, delivery.Id, default))!;
        Assert.Equal(1, saved.Attempts);
        Assert.Equal(T0.AddSeconds(5), saved.NextRetryAt);
        Assert.Equal([attempt], saved.History);
    }

    [Fact]
    public async Task The_log_keeps_the_newest_deliveries_and_lists_them_newest_first()
    {
        var (webhooks, log) = CreateStore();
        var hook = Hook();
        await webhooks.CreateAsync(hook, default);
        var extra = 5;
        for (var i = 0; i < WebhookLimits.DeliveriesPerWebhook + extra; i++)
        {
            await log.AddAsync(Delivery(hook, $"{i}-0", T0.AddSeconds(i)), default);
        }

        var all = await log.ListAsync(hook.Id, 5000, default);
        Assert.Equal(WebhookLimits.DeliveriesPerWebhook, all.Count);
        Assert.Equal($"{WebhookLimits.DeliveriesPerWebhook + extra - 1}-0", all[0].EventId);
        Assert.Equal($"{extra}-0", all[^1].EventId);
        Assert.Null(await log.FindAsync(hook.Id, WebhookDelivery.IdFor("0-0", hook.Id), default));

        // A forgotten delivery is not brought back by a late save.
        await log.SaveAsync(Delivery(hook, "0-0") with { Attempts = 3 }, default);
        Assert.Null(await log.FindAsync(hook.Id, WebhookDelivery.IdFor("0-0", hook.Id), default));
        Assert.Equal(3, (await log.ListAsync(hook.Id, 3, default)).Count);
    }

    [Fact]
    public async Task Deleting_an_endpoint_deletes_its_log_and_stops_new_deliveries()
    {
        var (webhooks, log) = CreateStore();
        var hook = Hook();
        await webhooks.CreateAsync(hook, default);
        await log.AddAsync(Delivery(hook, "1-0"), default);

        await webhooks.DeleteAsync("acct", hook.Id, default);

        Assert.Empty(await log.ListAsync(hook.Id, 10, default));
        Assert.False(await log.AddAsync(Delivery(hook, "2-0"), default));
        Assert.Empty(await log.ListAsync(hook.Id, 10, default));
    }
}
