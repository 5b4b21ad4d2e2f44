namespace SendApi.Storage.Redis;

/// <summary>
/// Lua scripts that make each state change one atomic round trip. StackExchange.Redis caches them
/// by SHA and sends EVALSHA after the first call.
/// </summary>
internal static class RedisScripts
{
    // XADD's approximate cap on the webhook outbox (see WebhookLimits.OutboxMaxLength).
    internal const string OutboxMaxLength = "1000000";

    /// <summary>
    /// Accept: idempotency check, message hash, MIME, first events and due entry, all or nothing.
    /// The events also go to the webhook outbox when the account has an endpoint; otherwise that
    /// costs one SISMEMBER. A message with nothing to deliver (every recipient suppressed) is
    /// finished at once: no MIME, no due entry, and the retention clock starts.
    /// The Message-ID header is indexed for twice the retention period (the message itself is kept
    /// for the retention after it finishes, which is later than its accept), so that a reply's
    /// In-Reply-To finds the message it answers while the message is readable.
    /// KEYS: msg, events, mime, due, idem ('' when none), webhook accounts, outbox, Message-ID index ('' when none).
    /// ARGV: id, due ms ('' = nothing to deliver), env, mime, idem ttl s, account, retention s,
    /// event count n, n events, then r:i field/value pairs.
    /// Returns the id of the message that now answers for the request (an earlier one on replay).
    /// </summary>
    public const string Accept = $$"""
        if KEYS[5] ~= '' then
          local existing = redis.call('GET', KEYS[5])
          if existing then return existing end
          redis.call('SET', KEYS[5], ARGV[1], 'EX', ARGV[5])
        end
        local n = tonumber(ARGV[8])
        redis.call('HSET', KEYS[1], 'env', ARGV[3], unpack(ARGV, 9 + n))
        for i = 9, 8 + n do
          redis.call('RPUSH', KEYS[2], ARGV[i])
        end
        if ARGV[2] == '' then
          redis.call('EXPIRE', KEYS[1], ARGV[7])
          redis.call('EXPIRE', KEYS[2], ARGV[7])
        else
          redis.call('SET', KEYS[3], ARGV[4])
          redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
        end
        if KEYS[8] ~= '' then
          redis.call('SET', KEYS[8], ARGV[1], 'EX', 2 * tonumber(ARGV[7]))
        end
        if redis.call('SISMEMBER', KEYS[6], ARGV[6]) == 1 then
          for i = 9, 8 + n do
            redis.call('XADD', KEYS[7], 'MAXLEN', '~', {{OutboxMaxLength}}, '*', 'account', ARGV[6], 'env', ARGV[3], 'event', ARGV[i])
          end
        end
        return ARGV[1]
        """;

    /// <summary>
    /// Writes r:i field/value pairs from ARGV[first] on, except over a recipient a bounce made
    /// <c>bounced</c> meanwhile: a DSN can arrive (through <see cref="Record"/>) while the attempt
    /// that got the 250 still holds the message, and the attempt's "delivered" must not erase it.
    /// </summary>
    private const string WriteStatesUnlessBounced = """
        local function write_states(key, first)
          for i = first, #ARGV, 2 do
            local current = redis.call('HGET', key, ARGV[i])
            if not (current and string.find(current, '"status":"bounced"', 1, true)) then
              redis.call('HSET', key, ARGV[i], ARGV[i + 1])
            end
          end
        end
        """;

    /// <summary>
    /// Write recipient states while the token holds the message. KEYS: msg, claims. ARGV: token, id, r:i field/value pairs.
    /// </summary>
    public const string Update = WriteStatesUnlessBounced + "\n" + """
        if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then return 0 end
        write_states(KEYS[1], 3)
        return 1
        """;

    /// <summary>
    /// Claim up to N due messages: push their due time to the lease end and record the claim token.
    /// KEYS: due, claims. ARGV: now ms, max, lease-until ms, token.
    /// </summary>
    public const string Claim = """
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
        for _, id in ipairs(ids) do
          redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
          redis.call('HSET', KEYS[2], id, ARGV[4])
        end
        return ids
        """;

    /// <summary>
    /// Renew the lease of the ids this token still holds; returns those ids.
    /// KEYS: due, claims. ARGV: token, lease-until ms, ids...
    /// </summary>
    public const string Renew = """
        local owned = {}
        for i = 3, #ARGV do
          if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
            redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[i])
            owned[#owned + 1] = ARGV[i]
          end
        end
        return owned
        """;

    /// <summary>
    /// Record an attempt. Events are always appended (they are what happened); recipient states and
    /// the queue entry only while the token still holds the message. When the message is finished
    /// its MIME body is dropped and the record expires after the retention period.
    /// The events go to the webhook outbox too when the message's account has an endpoint: with no
    /// endpoint anywhere that costs one SCARD; otherwise reading the envelope for its account (a
    /// failure there must never cost the attempt's record, hence pcall).
    /// KEYS: msg, events, due, claims, mime, webhook accounts, outbox. ARGV: token, id, next due ms
    /// ('' = finished), retention s, event count n, n events, then r:i field/value pairs.
    /// </summary>
    public const string Complete = WriteStatesUnlessBounced + "\n" + $$"""
        local n = tonumber(ARGV[5])
        for i = 6, 5 + n do
          redis.call('RPUSH', KEYS[2], ARGV[i])
        end
        if n > 0 and redis.call('SCARD', KEYS[6]) > 0 then
          local env = redis.call('HGET', KEYS[1], 'env')
          local ok, decoded = pcall(cjson.decode, env or '')
          local account = ok and type(decoded) == 'table' and decoded['account_id']
          if type(account) == 'string' and redis.call('SISMEMBER', KEYS[6], account) == 1 then
            for i = 6, 5 + n do
              redis.call('XADD', KEYS[7], 'MAXLEN', '~', {{OutboxMaxLength}}, '*', 'account', account, 'env', env, 'event', ARGV[i])
            end
          end
        end
        if redis.call('HGET', KEYS[4], ARGV[2]) ~= ARGV[1] then return 0 end
        write_states(KEYS[1], 6 + n)
        redis.call('HDEL', KEYS[4], ARGV[2])
        if ARGV[3] == '' then
          redis.call('ZREM', KEYS[3], ARGV[2])
          redis.call('DEL', KEYS[5])
          redis.call('EXPIRE', KEYS[1], ARGV[4])
          redis.call('EXPIRE', KEYS[2], ARGV[4])
        else
          redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
        end
        return 1
        """;

    /// <summary>
    /// Record later evidence (a bounce, a complaint) on an existing message: no claim is involved,
    /// the states and events are written as they are. The events go to the webhook outbox exactly
    /// as in <see cref="Complete"/>. Writing into an existing hash or list keeps its retention TTL.
    /// KEYS: msg, events, webhook accounts, outbox. ARGV: event count n, n events, then r:i
    /// field/value pairs. Returns 0 when the message is not stored.
    /// </summary>
    public const string Record = $$"""
        local env = redis.call('HGET', KEYS[1], 'env')
        if not env then return 0 end
        local n = tonumber(ARGV[1])
        for i = 2, 1 + n do
          redis.call('RPUSH', KEYS[2], ARGV[i])
        end
        if #ARGV > 1 + n then
          redis.call('HSET', KEYS[1], unpack(ARGV, 2 + n))
        end
        if n > 0 and redis.call('SCARD', KEYS[3]) > 0 then
          local ok, decoded = pcall(cjson.decode, env)
          local account = ok and type(decoded) == 'table' and decoded['account_id']
          if type(account) == 'string' and redis.call('SISMEMBER', KEYS[3], account) == 1 then
            for i = 2, 1 + n do
              redis.call('XADD', KEYS[4], 'MAXLEN', '~', {{OutboxMaxLength}}, '*', 'account', account, 'env', env, 'event', ARGV[i])
            end
          end
        end
        return 1
        """;
}
