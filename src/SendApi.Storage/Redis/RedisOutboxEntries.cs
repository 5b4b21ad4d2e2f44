using SendApi.Core.Webhooks;

namespace SendApi.Storage.Redis;

/// <summary>
/// The webhook outbox stream's entries (<see cref="RedisWebhookOutbox"/> reads them), and the one
/// rule every script that appends to it follows: an event goes to the outbox only when its account
/// has an endpoint, and the stream is capped at <see cref="WebhookLimits.OutboxMaxLength"/>.
/// </summary>
internal static class RedisOutboxEntries
{
    public const string Account = "account";

    /// <summary>A message event's envelope and the event itself (JSON each).</summary>
    public const string Envelope = "env";

    public const string Event = "event";

    /// <summary>A received mail's webhook copy (JSON), instead of an envelope and an event.</summary>
    public const string Inbound = "inbound";

    /// <summary>
    /// <c>outbox_wants(accounts, account)</c>: whether the account has an endpoint.
    /// <c>outbox_add(outbox, field, value, …)</c>: appends one entry within the cap.
    /// <c>events_to_outbox(outbox, account, env, first, last)</c>: appends the message events
    /// ARGV[first..last], for an account that <c>outbox_wants</c>.
    /// </summary>
    public static readonly string Functions = $$"""
        local function outbox_wants(accounts, account)
          return type(account) == 'string' and redis.call('SISMEMBER', accounts, account) == 1
        end
        local function outbox_add(outbox, ...)
          redis.call('XADD', outbox, 'MAXLEN', '~', {{Lua.Number(WebhookLimits.OutboxMaxLength)}}, '*', ...)
        end
        local function events_to_outbox(outbox, account, env, first, last)
          for i = first, last do
            outbox_add(outbox, {{Lua.String(Account)}}, account, {{Lua.String(Envelope)}}, env, {{Lua.String(Event)}}, ARGV[i])
          end
        end
        """;
}
