namespace SendApi.Storage.Redis;

/// <summary>
/// Every key SendApi writes, in one place. Layout:
/// <c>msg:{id}</c> hash (env = envelope JSON, r:{i} = recipient i's state JSON),
/// <c>msg:{id}:mime</c> the message bytes (apart, so that status reads never load them),
/// <c>msg:{id}:events</c> list of event JSON, <c>due</c> sorted set (message id by next due time,
/// in unix ms), <c>claims</c> hash (message id → claim token), <c>idem:{account}:{key}</c>,
/// <c>apikeys:byhash</c> / <c>apikeys:byid</c> hashes.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public string Message(string id) => $"{Prefix}msg:{id}";

    public string Events(string id) => $"{Prefix}msg:{id}:events";

    public string Mime(string id) => $"{Prefix}msg:{id}:mime";

    public string Due => $"{Prefix}due";

    public string Claims => $"{Prefix}claims";

    public string Idempotency(string account, string key) => $"{Prefix}idem:{account}:{key}";

    public string ApiKeysByHash => $"{Prefix}apikeys:byhash";

    public string ApiKeysById => $"{Prefix}apikeys:byid";

    public string ThrottleSlots(string domain) => $"{Prefix}throttle:{domain}:slots";

    public string ThrottleSchedule(string domain) => $"{Prefix}throttle:{domain}:next";

    public string ThrottleBackoff(string domain) => $"{Prefix}throttle:{domain}:backoff";

    public static string RecipientField(int index) => $"r:{index}";
}
