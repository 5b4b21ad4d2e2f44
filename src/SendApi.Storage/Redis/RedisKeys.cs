namespace SendApi.Storage.Redis;

/// <summary>
/// Every key SendApi writes, in one place. Layout:
/// <c>msg:{id}</c> hash (fields in <see cref="RedisMessageFields"/>: the envelope, its account, each recipient's state and status),
/// <c>msg:{id}:mime</c> the message bytes (apart, so that status reads never load them),
/// <c>msg:{id}:variants</c> hash of per-recipient bodies (variant number → bytes; only for a message that has them),
/// <c>msg:{id}:accepted</c> hash of remote 250s noted before their attempt was recorded,
/// <c>msg:{id}:events</c> list of event JSON, <c>due</c> sorted set (message id by next due time,
/// in unix ms), <c>claims</c> hash (message id → claim token), <c>idem:{account}:{key}</c> (→ message id)
/// and <c>idemreq:{account}:{key}</c> (→ request fingerprint),
/// <c>mid:{account}:{Message-ID}</c> → id, <c>apikeys:byhash</c> / <c>apikeys:byid</c> / <c>apikeys:lastused</c> hashes,
/// <c>ratelimit:{name}:{window}</c> counters (per-key rate limits),
/// <c>webhook*</c> and the <c>events</c> stream (webhooks), <c>inbound:{id}</c> (received mail),
/// <c>capture:{id}</c> and <c>captures*</c> (captured mail), <c>dataprotection:keys</c> (the antiforgery and cookie key ring).
/// <c>returnpath</c> (the return-path signing key and cut-over),
/// <c>account:{account}:search</c> and <c>…:search:{to|tag|status}:{value}</c> (message search,
/// see <see cref="RedisSearchIndex"/>), <c>stats:{account}:{hour}</c> and its <c>:t</c>/<c>:d</c>
/// hashes (counters, see <see cref="RedisStatsCounters"/>).
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public string Message(string id) => $"{Prefix}msg:{id}";

    public string Events(string id) => $"{Prefix}msg:{id}:events";

    public string Mime(string id) => $"{Prefix}msg:{id}:mime";

    /// <summary>A message's variant bodies (fields "1", "2", …), written and dropped with its <see cref="Mime"/>.</summary>
    public string Variants(string id) => $"{Prefix}msg:{id}:variants";

    /// <summary>
    /// Hash of a message's remote 250s not yet recorded (recipient index → its "delivered" event
    /// JSON), noted as each transaction's replies arrive and dropped with its <see cref="Mime"/>.
    /// </summary>
    public string Accepted(string id) => $"{Prefix}msg:{id}:accepted";

    public string Due => $"{Prefix}due";

    public string Claims => $"{Prefix}claims";

    public string Idempotency(string account, string key) => $"{Prefix}idem:{account}:{key}";

    /// <summary>ASP.NET Core's Data Protection key ring (a list of key XML documents), shared by every instance.</summary>
    public string DataProtectionKeys => $"{Prefix}dataprotection:keys";

    /// <summary>The request (a fingerprint of route and body) an Idempotency-Key was first used for (see RedisIdempotencyKeys).</summary>
    public string IdempotentRequest(string account, string key) => $"{Prefix}idemreq:{account}:{key}";

    public string ApiKeysByHash => $"{Prefix}apikeys:byhash";

    public string ApiKeysById => $"{Prefix}apikeys:byid";

    /// <summary>Hash: key id → when it was last used (unix ms), written at most once a minute per key and instance.</summary>
    public string ApiKeysLastUsed => $"{Prefix}apikeys:lastused";

    /// <summary>A fixed rate-limit window's counter, expiring after the window.</summary>
    public string RateWindow(string name, long window) => $"{Prefix}ratelimit:{name}:{window}";

    /// <summary>Sorted set: instance id → alive until (ms, Redis's clock).</summary>
    public string Instances => $"{Prefix}instances";

    public string InstancePrefix => $"{Prefix}instance:";

    /// <summary>Set: the domain slot keys in which this instance holds (or held) a connection slot.</summary>
    public string InstanceSlotKeys(string instance) => $"{InstancePrefix}{instance}:slots";

    /// <summary>Sorted set: failed SMTP AUTH attempts from one client address (see RedisAuthFailures).</summary>
    public string AuthFailures(string address) => $"{Prefix}smtp:authfail:{address}";

    /// <summary>Sorted set: the open SMTP connections from one client address, across instances (see RedisConnectionCounts).</summary>
    public string SmtpConnections(string address) => $"{Prefix}smtp:conn:{address}";

    public string ThrottleSlots(string domain) => $"{Prefix}throttle:{domain}:slots";

    public string ThrottleSchedule(string domain) => $"{Prefix}throttle:{domain}:next";

    public string ThrottleBackoff(string domain) => $"{Prefix}throttle:{domain}:backoff";

    /// <summary>Hash of one endpoint (fields: account, url, events, created, secret, prev_secrets (JSON; records of earlier versions: prev_secret, prev_until), disabled_at, disabled_reason).</summary>
    public string Webhook(string id) => $"{Prefix}webhook:{id}";

    /// <summary>Set of an account's endpoint ids.</summary>
    public string Webhooks(string account) => $"{Prefix}account:{account}:webhooks";

    /// <summary>Set of the accounts that have at least one endpoint: the scripts check it before writing to the outbox.</summary>
    public string WebhookAccounts => $"{Prefix}webhooks:accounts";

    /// <summary>Hash of an endpoint's deliveries (id → JSON), and their order (sorted set by creation time).</summary>
    public string WebhookDeliveries(string webhookId) => $"{Prefix}webhook:{webhookId}:deliveries";

    public string WebhookDeliveryOrder(string webhookId) => $"{Prefix}webhook:{webhookId}:deliveries:order";

    /// <summary>Stream of events for webhooks (the outbox), read by the dispatchers' consumer group.</summary>
    public string WebhookOutbox => $"{Prefix}events";

    /// <summary>An inbound message's parsed record (JSON), its original MIME, and an account's index of them.</summary>
    public string Inbound(string id) => $"{Prefix}inbound:{id}";

    public string InboundRaw(string id) => $"{Prefix}inbound:{id}:raw";

    public string InboundIndex(string account) => $"{Prefix}account:{account}:inbound";

    /// <summary>A stored inbound mail's fingerprint → its id, for recognising a retried delivery.</summary>
    public string InboundFingerprint(string account, string fingerprint) => $"{Prefix}inbound:seen:{account}:{fingerprint}";

    /// <summary>Message-ID header → our message id, per account, for linking replies (In-Reply-To) to what we sent.</summary>
    public string MessageIdHeader(string account, string header) => $"{Prefix}mid:{account}:{header}";

    /// <summary>A captured message's record (JSON) and its exact bytes.</summary>
    public string Capture(string id) => $"{CapturePrefix}{id}";

    public string CaptureRaw(string id) => $"{CapturePrefix}{id}{CaptureRawSuffix}";

    /// <summary>Every captured id (sorted set, score 0, so in id order = capture order): the bound and the admin's view.</summary>
    public string Captures => $"{Prefix}captures";

    /// <summary>Hash of captured id → account, so that the scripts find an id's account index without reading its JSON.</summary>
    public string CaptureOwners => $"{Prefix}captures:owner";

    /// <summary>The octets of all captured bytes (a counter), for Capture:MaxBytes.</summary>
    public string CaptureBytes => $"{Prefix}captures:bytes";

    /// <summary>An account's captured ids (sorted set like <see cref="Captures"/>).</summary>
    public string CaptureIndex(string account) => $"{CaptureIndexPrefix}{account}{CaptureIndexSuffix}";

    // The parts of the capture keys, for the scripts that drop captures by id (their keys are known only inside the script).
    public string CapturePrefix => $"{Prefix}capture:";

    public const string CaptureRawSuffix = ":raw";

    public string CaptureIndexPrefix => $"{Prefix}account:";

    public const string CaptureIndexSuffix = ":captures";
    /// <summary>An account's search index of every message (sorted set of <see cref="Core.Messages.Search.SearchEntries"/>, all scores 0).</summary>
    public string Search(string account) => $"{Prefix}account:{account}{SearchSuffix}";

    public string SearchByRecipient(string account, string address) => $"{Search(account)}:to:{address}";

    public string SearchByTag(string account, string tag) => $"{Search(account)}:tag:{tag}";

    public string SearchByStatus(string account, string status) => $"{Search(account)}{SearchStatusInfix}{status}";

    // The parts of the status keys, which the scripts build once they know the message's account and new status.
    public const string SearchSuffix = ":search";

    public const string SearchStatusInfix = ":status:";

    /// <summary>An account's counters for one hour (hours since the epoch): the totals, and per tag (<c>:t</c>) and recipient domain (<c>:d</c>).</summary>
    public string Stats(string account, long hour) => $"{Prefix}stats:{account}:{hour}";

    public const string StatsTagSuffix = ":t";

    public const string StatsDomainSuffix = ":d";

    /// <summary>Hash of the return-path signing state (fields: key, since), shared by every instance.</summary>
    public string ReturnPath => $"{Prefix}returnpath";

    /// <summary>Hash of the key that signs unsubscribe, open and click tokens (field: key), shared by every instance.</summary>
    public string Tracking => $"{Prefix}tracking";
}
