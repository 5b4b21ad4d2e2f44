using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The one rule for reads of SendApi's keys: every plain read is answered by the primary. By
/// default StackExchange.Redis sends a read to a replica while it knows no primary (in a Sentinel
/// failover), and a replica that has not caught up answers with the past: a just-accepted message
/// missing or without its body, a new API key, webhook endpoint, domain or suppression unknown.
/// Those answers lead to decisions (a queue entry dropped, a 550 to a bounce, a 535 counted
/// against an IP, mail sent unsigned or to a suppressed address), so a read with no primary fails
/// instead, as an outage: 503 / SMTP 451 / retried, like any other moment without Redis. Scripts
/// already run on the primary.
/// </summary>
internal static class RedisReads
{
    public const CommandFlags Primary = CommandFlags.DemandMaster;
}
