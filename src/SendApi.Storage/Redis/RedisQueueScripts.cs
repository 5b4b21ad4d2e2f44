namespace SendApi.Storage.Redis;

/// <summary>
/// The queue view's scripts (<see cref="RedisQueueView"/>). They follow the claim rules of
/// <see cref="RedisScripts"/>: a claim is live while its message's due time (the lease end) is
/// ahead of now; a message in flight is never changed; a lapsed claim is voided by a cancel, so
/// its holder's late Complete can no longer write states. The actions write only when the
/// recipients' stored states are still those the caller read (compared as stored JSON), so a
/// bounce or an attempt recorded in between is never overwritten.
/// </summary>
internal static class RedisQueueScripts
{
    /// <summary>
    /// The exact totals and the first entries by due time.
    /// KEYS: due, claims. ARGV: now ms, scan limit.
    /// Returns {messages, due now, ids in flight, first entries as id, score, id, score, …}.
    /// </summary>
    public const string Snapshot = """
        local now = tonumber(ARGV[1])
        local in_flight = {}
        for _, id in ipairs(redis.call('HKEYS', KEYS[2])) do
          local score = redis.call('ZSCORE', KEYS[1], id)
          if score and tonumber(score) > now then in_flight[#in_flight + 1] = id end
        end
        return {
          redis.call('ZCARD', KEYS[1]),
          redis.call('ZCOUNT', KEYS[1], '-inf', now),
          in_flight,
          redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES'),
        }
        """;

    // unchanged(key, first, k): the k (state field, stored JSON) pairs from ARGV[first] still hold.
    private const string Unchanged = """
        local function unchanged(key, first, k)
          for i = first, first + 2 * k - 1, 2 do
            if redis.call('HGET', key, ARGV[i]) ~= ARGV[i + 1] then return false end
          end
          return true
        end

        """;

    /// <summary>
    /// Make some recipients of one message due now, unless it is in flight or they changed.
    /// KEYS: msg, due, claims. ARGV: id, now ms, k, k (state field, stored JSON) pairs, then the
    /// recipient updates. Returns 1 when done.
    /// </summary>
    public const string RetryNow = Unchanged + """
        local now = tonumber(ARGV[2])
        local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
        if not score then return 0 end
        if tonumber(score) > now and redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 0 end
        local k = tonumber(ARGV[3])
        if not unchanged(KEYS[1], 4, k) then return 0 end
        if #ARGV >= 4 + 2 * k then redis.call('HSET', KEYS[1], unpack(ARGV, 4 + 2 * k)) end
        if tonumber(score) > now then redis.call('ZADD', KEYS[2], 'XX', now, ARGV[1]) end
        return 1
        """;

    /// <summary>
    /// Cancel one message: states, events (with their outbox entries, counters and the search
    /// status, as <see cref="RedisScripts.Record"/> writes them), out of the queue, bodies dropped
    /// and the retention clock started, as Complete leaves a finished message.
    /// KEYS: msg, events, due, claims, mime, variants, webhook accounts, outbox, accepted.
    /// ARGV: id, now ms, retention s, key prefix, search horizon, search ttl s, stats ttl s, k, k
    /// (state field, stored JSON) pairs, event count n, stats value count c, n events, c stats
    /// values, then the recipient updates. Returns cancelled, not_found, finished, in_flight or changed.
    /// </summary>
    public static readonly string Cancel = RedisScripts.Functions + "\n" + Unchanged + $$"""
        if redis.call('HEXISTS', KEYS[1], {{Lua.String(RedisMessageFields.Envelope)}}) == 0 then return 'not_found' end
        local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
        if not score then return 'finished' end
        if tonumber(score) > tonumber(ARGV[2]) and redis.call('HEXISTS', KEYS[4], ARGV[1]) == 1 then return 'in_flight' end
        local k = tonumber(ARGV[8])
        if not unchanged(KEYS[1], 9, k) then return 'changed' end
        local n = tonumber(ARGV[9 + 2 * k])
        local c = tonumber(ARGV[10 + 2 * k])
        local first = 11 + 2 * k
        for i = first, first + n - 1 do
          redis.call('RPUSH', KEYS[2], ARGV[i])
        end
        local m = search_fields(KEYS[1])
        if #ARGV >= first + n + c then
          redis.call('HSET', KEYS[1], unpack(ARGV, first + n + c))
          search_restatus(KEYS[1], m, ARGV[4], ARGV[5], ARGV[6])
        end
        message_events_to_outbox(KEYS[1], KEYS[7], KEYS[8], first, first + n - 1)
        count_events(ARGV[4], m, first + n, first + n + c - 1, tonumber(ARGV[7]))
        redis.call('HDEL', KEYS[4], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        redis.call('DEL', KEYS[5], KEYS[6], KEYS[9])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        redis.call('EXPIRE', KEYS[2], ARGV[3])
        return 'cancelled'
        """;
}
