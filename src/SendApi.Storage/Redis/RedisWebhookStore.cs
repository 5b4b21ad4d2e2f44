using System.Text.Json;
using System.Globalization;
using SendApi.Core.Webhooks;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Endpoints as one hash each, so that a rotation and a 410 that disables the endpoint write
/// different fields and never undo each other; deliveries as a capped hash per endpoint.
/// </summary>
internal sealed class RedisWebhookStore(IConnectionMultiplexer redis, RedisKeys keys) : IWebhookStore, IWebhookDeliveryLog
{
    private IDatabase Db => redis.GetDatabase();

    public async Task CreateAsync(Webhook webhook, CancellationToken cancellationToken)
    {
        RedisValue[] args =
        [
            webhook.Id, webhook.AccountId,
            "url", webhook.Url,
            "events", StorageJson.Serialize(webhook.Events),
            "created", webhook.CreatedAt.ToUnixTimeMilliseconds(),
            "secret", webhook.Secret,
        ];
        await Db.ScriptEvaluateAsync(RedisWebhookScripts.Create, [keys.Webhook(webhook.Id), keys.Webhooks(webhook.AccountId), keys.WebhookAccounts], args);
    }

    public async Task<Webhook?> FindAsync(string accountId, string id, CancellationToken cancellationToken) =>
        Read(id, await Db.HashGetAllAsync(keys.Webhook(id), flags: RedisReads.Primary), accountId);

    public async Task<IReadOnlyList<Webhook>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        var db = Db;
        var ids = await db.SetMembersAsync(keys.Webhooks(accountId), flags: RedisReads.Primary);
        var reads = ids.Select(id => (Id: (string)id!, Fields: db.HashGetAllAsync(keys.Webhook((string)id!), flags: RedisReads.Primary))).ToList();
        await Task.WhenAll(reads.Select(r => r.Fields));
        return [.. reads.Select(r => Read(r.Id, r.Fields.Result, accountId)).OfType<Webhook>().OrderBy(w => w.CreatedAt)];
    }

    public async Task<bool> DeleteAsync(string accountId, string id, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(
            RedisWebhookScripts.Delete,
            [keys.Webhook(id), keys.Webhooks(accountId), keys.WebhookAccounts, keys.WebhookDeliveries(id), keys.WebhookDeliveryOrder(id)],
            [id, accountId]) == 1;

    public async Task<Webhook?> RotateSecretAsync(string accountId, string id, string secret, DateTimeOffset previousExpiresAt, CancellationToken cancellationToken)
    {
        var rotated = (int)await Db.ScriptEvaluateAsync(
            RedisWebhookScripts.Rotate, [keys.Webhook(id)], [accountId, secret, previousExpiresAt.ToUnixTimeMilliseconds()]) == 1;
        return rotated ? await FindAsync(accountId, id, cancellationToken) : null;
    }

    public async Task DisableAsync(string accountId, string id, DateTimeOffset at, string reason, CancellationToken cancellationToken) =>
        await Db.ScriptEvaluateAsync(
            RedisWebhookScripts.SetIfOwned, [keys.Webhook(id)], [accountId, "disabled_at", at.ToUnixTimeMilliseconds(), "disabled_reason", reason]);

    async Task<bool> IWebhookDeliveryLog.AddAsync(WebhookDelivery delivery, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(
            RedisWebhookScripts.AddDelivery,
            [keys.Webhook(delivery.WebhookId), keys.WebhookDeliveries(delivery.WebhookId), keys.WebhookDeliveryOrder(delivery.WebhookId)],
            [delivery.Id, StorageJson.Serialize(delivery), delivery.CreatedAt.ToUnixTimeMilliseconds(), WebhookLimits.DeliveriesPerWebhook]) == 1;

    async Task<WebhookDelivery?> IWebhookDeliveryLog.FindAsync(string webhookId, string deliveryId, CancellationToken cancellationToken)
    {
        var json = await Db.HashGetAsync(keys.WebhookDeliveries(webhookId), deliveryId, flags: RedisReads.Primary);
        return json.IsNull ? null : StorageJson.Deserialize<WebhookDelivery>(json!);
    }

    async Task IWebhookDeliveryLog.SaveAsync(WebhookDelivery delivery, CancellationToken cancellationToken) =>
        await Db.ScriptEvaluateAsync(
            RedisWebhookScripts.SaveDelivery, [keys.WebhookDeliveries(delivery.WebhookId)], [delivery.Id, StorageJson.Serialize(delivery)]);

    async Task<IReadOnlyList<WebhookDelivery>> IWebhookDeliveryLog.ListAsync(string webhookId, int max, CancellationToken cancellationToken)
    {
        var db = Db;
        var ids = await db.SortedSetRangeByRankAsync(keys.WebhookDeliveryOrder(webhookId), 0, max - 1, Order.Descending, flags: RedisReads.Primary);
        if (ids.Length == 0)
        {
            return [];
        }

        var values = await db.HashGetAsync(keys.WebhookDeliveries(webhookId), ids, flags: RedisReads.Primary);
        return [.. values.Where(v => !v.IsNull).Select(v => StorageJson.Deserialize<WebhookDelivery>(v!))];
    }

    private static Webhook? Read(string id, HashEntry[] fields, string accountId)
    {
        var byName = fields.ToDictionary(f => (string)f.Name!, f => (string?)f.Value, StringComparer.Ordinal);
        if (byName.GetValueOrDefault("account") != accountId || byName.GetValueOrDefault("url") is not { } url)
        {
            return null;
        }

        return new Webhook(
            id,
            accountId,
            url,
            StorageJson.Deserialize<string[]>(byName["events"]!),
            Time(byName["created"])!.Value,
            byName["secret"]!,
            Time(byName.GetValueOrDefault("disabled_at")),
            byName.GetValueOrDefault("disabled_reason"))
        {
            PreviousSecrets = PreviousSecrets(byName),
        };
    }

    /// <summary>The earlier secrets (RedisWebhookScripts.Rotate), or the one of a record written by an earlier version.</summary>
    private static IReadOnlyList<RetiredSecret> PreviousSecrets(Dictionary<string, string?> byName)
    {
        if (byName.GetValueOrDefault("prev_secrets") is { } json)
        {
            using var list = JsonDocument.Parse(json);
            // An empty Lua table encodes as {}, not [].
            return list.RootElement.ValueKind != JsonValueKind.Array
                ? []
                : [.. list.RootElement.EnumerateArray().Select(e => new RetiredSecret(e.GetProperty("s").GetString()!, Time(e.GetProperty("u").GetString())!.Value))];
        }

        return byName.GetValueOrDefault("prev_secret") is { } secret && Time(byName.GetValueOrDefault("prev_until")) is { } until
            ? [new RetiredSecret(secret, until)]
            : [];
    }

    private static DateTimeOffset? Time(string? ms) =>
        ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture));
}
