namespace SendApi.Storage.Redis;

/// <summary>
/// Lua scripts that make each state change one atomic round trip. StackExchange.Redis caches them
/// by SHA and sends EVALSHA after the first call. The rules they share with the embedded store
/// (which states an attempt may replace, the outbox's account filter and cap) are generated from
/// C# (<see cref="RedisMessageFields"/>, <see cref="RedisOutboxEntries"/>); windows and retention
/// come in ARGV. Recipient updates are ARGV groups of <see cref="RedisMessageFields.ValuesPerRecipient"/>.
/// </summary>
internal static class RedisScripts
{
    // message_events_to_outbox: the events ARGV[first..last] of the message in hash key go to the
    // outbox when its account has an endpoint; one SCARD when no account has any.
    // write_attempt_states_and_status: write_attempt_states and search_restatus in one read and one
    // write: the recipients' statuses are read before (a one-recipient message's came with m, see
    // search_fields), the new overall status is worked out from them and the updates that apply,
    // and the updates and the indexed status go in one HSET. A message from before search (no n)
    // is in no index, and a record from before s:{i} falls back to its JSON (stored_status).
    internal static readonly string Functions = RedisMessageFields.Functions + "\n" + RedisOutboxEntries.Functions + "\n" + RedisSearchIndex.Functions + "\n" + RedisStatsCounters.Functions + "\n" + $$"""
        local function message_events_to_outbox(key, accounts, outbox, first, last)
          if last < first or redis.call('SCARD', accounts) == 0 then return end
          local account, env = message_account(key)
          if not outbox_wants(accounts, account) then return end
          events_to_outbox(outbox, account, env or redis.call('HGET', key, {{Lua.String(RedisMessageFields.Envelope)}}), first, last)
        end
        local function write_attempt_states_and_status(key, m, first, prefix, horizon, ttl, recorded)
          local indexed = m.entry and m.n and m.account
          local statuses = { m.s0 }
          if indexed and m.n > 1 then
            local fields = {}
            for i = 1, m.n - 1 do fields[i] = {{Lua.String(RedisMessageFields.Status(0)[..^1])}} .. i end
            local rest = redis.call('HMGET', key, unpack(fields))
            for i = 1, m.n - 1 do statuses[i + 1] = rest[i] end
          end
          local writes = {}
          for i = first, #ARGV, {{Lua.Number(RedisMessageFields.ValuesPerRecipient)}} do
            local r = tonumber(string.sub(ARGV[i + 2], {{Lua.Number(RedisMessageFields.Status(0).Length)}})) + 1
            local current = statuses[r] or stored_status(key, ARGV[i], ARGV[i + 2])
            if not attempt_may_not_replace[current] then
              for j = i, i + {{Lua.Number(RedisMessageFields.ValuesPerRecipient - 1)}} do writes[#writes + 1] = ARGV[j] end
              statuses[r] = ARGV[i + 3]
            end
          end
          if indexed and search_move(m, search_status_of(m, statuses), prefix, horizon, ttl) then
            writes[#writes + 1] = {{Lua.String(RedisSearchIndex.Status)}}
            writes[#writes + 1] = m.status
          end
          if recorded and recorded ~= '' then
            writes[#writes + 1] = {{Lua.String(RedisMessageFields.Recorded)}}
            writes[#writes + 1] = recorded
          end
          if #writes > 0 then redis.call('HSET', key, unpack(writes)) end
        end

        """;

    /// <summary>
    /// Accept: idempotency check, message hash, MIME (and the variant bodies of a message that has
    /// them), first events and due entry, search entries and counters, all or nothing. The MIME
    /// itself comes in a plain SET just before the call (<see cref="RedisMimeBeside"/>): the script
    /// keeps it (PERSIST) when it stores the message, deletes it on a replay, and stores nothing,
    /// answering TRYAGAIN, when it did not arrive. The events
    /// also go to the webhook outbox when the account has an endpoint; otherwise that costs one
    /// SISMEMBER. A message with nothing to deliver (every recipient suppressed) is finished at
    /// once: no MIME, no due entry, and the retention clock starts.
    /// KEYS: msg, events, mime, due, idem ('' when none), webhook accounts, outbox, Message-ID index
    /// ('' when none), variants ('' when none), then the search indexes the message enters.
    /// ARGV: id, due ms ('' = nothing to deliver), env, '1' when the MIME was written beside the call
    /// ('' when the message keeps none; see <see cref="RedisMimeBeside"/>), idem ttl s, account, retention s,
    /// Message-ID index ttl s, event count n, variant value count v, key prefix, search horizon,
    /// search ttl s, stats ttl s, stats value count c, n events, v variant values (number, bytes,
    /// …), c stats values, then the hash fields: the search fields (<see cref="RedisSearchIndex.AddFields"/>,
    /// first, read at fixed places), the recipient updates and, with variants, theirs. Returns the id of the message that now answers for the request (an earlier
    /// one on replay).
    /// </summary>
    public static readonly string Accept = Functions + $$"""
        if ARGV[4] ~= '' and redis.call('PERSIST', KEYS[3]) == 0 then
          return redis.error_reply('TRYAGAIN the message body did not reach Redis before its record; nothing was stored')
        end
        if KEYS[5] ~= '' then
          local existing = redis.call('GET', KEYS[5])
          if existing then
            if ARGV[4] ~= '' then redis.call('DEL', KEYS[3]) end
            return existing
          end
          redis.call('SET', KEYS[5], ARGV[1], 'EX', ARGV[5])
        end
        local n = tonumber(ARGV[9])
        local v = tonumber(ARGV[10])
        local c = tonumber(ARGV[15])
        local events = 16
        local fields = events + n + v + c
        redis.call('HSET', KEYS[1], {{Lua.String(RedisMessageFields.Envelope)}}, ARGV[3], {{Lua.String(RedisMessageFields.Account)}}, ARGV[6], unpack(ARGV, fields))
        for i = events, events + n - 1 do
          redis.call('RPUSH', KEYS[2], ARGV[i])
        end
        if ARGV[2] == '' then
          redis.call('EXPIRE', KEYS[1], ARGV[7])
          redis.call('EXPIRE', KEYS[2], ARGV[7])
        else
          if v > 0 then
            redis.call('HSET', KEYS[9], unpack(ARGV, events + n, events + n + v - 1))
          end
          redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
        end
        if KEYS[8] ~= '' then
          redis.call('SET', KEYS[8], ARGV[1], 'EX', ARGV[8])
        end
        local m = search_fields_of(ARGV[6], ARGV[fields + 1], ARGV[fields + 3], ARGV[fields + 5], ARGV[fields + 7])
        for i = 10, #KEYS do
          search_add(KEYS[i], m.entry, ARGV[12], ARGV[13])
        end
        count_events(ARGV[11], m, events + n + v, fields - 1, tonumber(ARGV[14]))
        if outbox_wants(KEYS[6], ARGV[6]) then
          events_to_outbox(KEYS[7], ARGV[6], ARGV[3], events, events + n - 1)
        end
        return ARGV[1]
        """;

    /// <summary>
    /// Write an attempt's recipient states while the token holds the message (not over a bounce).
    /// The search status is left alone: it changes when the attempt is recorded (<see cref="Complete"/>).
    /// KEYS: msg, claims. ARGV: token, id, then the recipient updates.
    /// </summary>
    public static readonly string Update = RedisMessageFields.Functions + "\n" + """
        if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then return 0 end
        write_attempt_states(KEYS[1], 3)
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
    /// A load found no record: while the token holds the message, release the claim and drop the
    /// queue entry (and whatever is left of the message) only if the record is gone here, on the
    /// primary; if it is here after all, the message is due again. "The record" is the envelope
    /// field, what a load reads it by: an attempt's states written over an evicted record leave a
    /// hash without one, which must be dropped, not put back forever.
    /// Returns 1 dropped, 0 put back, -1 not held.
    /// KEYS: msg, due, claims, mime, variants, accepted, events. ARGV: token, id, due-if-found ms.
    /// </summary>
    public static readonly string Forget = $$"""
        if redis.call('HGET', KEYS[3], ARGV[2]) ~= ARGV[1] then return -1 end
        redis.call('HDEL', KEYS[3], ARGV[2])
        if redis.call('HEXISTS', KEYS[1], {{Lua.String(RedisMessageFields.Envelope)}}) == 1 then
          redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
          return 0
        end
        redis.call('ZREM', KEYS[2], ARGV[2])
        redis.call('DEL', KEYS[1], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
        return 1
        """;

    /// <summary>
    /// The ids this token holds that the caller does not know of (a claim whose reply was lost),
    /// their lease renewed; returns those ids. Reads the whole claims hash: after a failed claim only.
    /// KEYS: due, claims. ARGV: token, lease-until ms, held ids...
    /// </summary>
    public const string Reclaim = """
        local held = {}
        for i = 3, #ARGV do held[ARGV[i]] = true end
        local found = {}
        local claims = redis.call('HGETALL', KEYS[2])
        for i = 1, #claims, 2 do
          local id = claims[i]
          if claims[i + 1] == ARGV[1] and not held[id] and redis.call('ZSCORE', KEYS[1], id) then
            redis.call('ZADD', KEYS[1], ARGV[2], id)
            found[#found + 1] = id
          end
        end
        return found
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
    /// Record an attempt. Events are always appended (they are what happened) and counted;
    /// recipient states, the search status and the queue entry only while the token still holds
    /// the message, and states not over a bounce. When the message is finished its bodies (MIME and
    /// variants) and its noted remote 250s (<see cref="NoteAccepted"/>), in one DEL, are dropped and the record expires after the retention period. The
    /// events go to the webhook outbox too when the message's account has an endpoint: with no
    /// endpoint anywhere that costs one SCARD.
    /// A try whose attempt id the record already holds was carried out before (its reply was lost):
    /// it changes nothing and returns 2, so a retry never doubles events, webhooks or counts.
    /// KEYS: msg, events, due, claims, mime, webhook accounts, outbox, variants, accepted. ARGV: token, id,
    /// next due ms ('' = finished), retention s, attempt id ('' = none), event count n, key prefix,
    /// search horizon, search ttl s, stats ttl s, stats value count c, n events, c stats values, then
    /// the recipient updates.
    /// </summary>
    public static readonly string Complete = Functions + $$"""
        local m = search_fields(KEYS[1])
        if ARGV[5] ~= '' and m.recorded == ARGV[5] then return 2 end
        local n = tonumber(ARGV[6])
        local c = tonumber(ARGV[11])
        for i = 12, 11 + n do
          redis.call('RPUSH', KEYS[2], ARGV[i])
        end
        message_events_to_outbox(KEYS[1], KEYS[6], KEYS[7], 12, 11 + n)
        count_events(ARGV[7], m, 12 + n, 11 + n + c, tonumber(ARGV[10]))
        if redis.call('HGET', KEYS[4], ARGV[2]) ~= ARGV[1] then
          -- Not held: the events are recorded all the same, so is the attempt's name (on a record
          -- that exists: an account is read from every one).
          if ARGV[5] ~= '' and m.account then redis.call('HSET', KEYS[1], {{Lua.String(RedisMessageFields.Recorded)}}, ARGV[5]) end
          return 0
        end
        write_attempt_states_and_status(KEYS[1], m, 12 + n + c, ARGV[7], ARGV[8], ARGV[9], ARGV[5])
        redis.call('HDEL', KEYS[4], ARGV[2])
        if ARGV[3] == '' then
          redis.call('ZREM', KEYS[3], ARGV[2])
          redis.call('DEL', KEYS[5], KEYS[8], KEYS[9])
          redis.call('EXPIRE', KEYS[1], ARGV[4])
          redis.call('EXPIRE', KEYS[2], ARGV[4])
        else
          redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
        end
        return 1
        """;

    /// <summary>
    /// Note the remote 250s of a transaction before its attempt is recorded (sent fire-and-forget,
    /// so ahead of the attempt's <see cref="Complete"/> on the same connection). Only while the
    /// message is queued: a late note on a finished message would never be dropped. The expiry is a
    /// safety net; Complete drops the notes when it finishes the message.
    /// KEYS: accepted, due. ARGV: id, ttl s, then (recipient index, delivered event JSON) pairs.
    /// </summary>
    public const string NoteAccepted = """
        if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV, 3))
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    /// <summary>
    /// Record later evidence (a bounce, a complaint) on an existing message: no claim is involved,
    /// and evidence replaces any state, so the recipient updates are written as they are. The
    /// events go to the webhook outbox and the counters exactly as in <see cref="Complete"/>, and
    /// the search entry follows the new status. Writing into an existing hash or list keeps its
    /// retention TTL.
    /// KEYS: msg, events, webhook accounts, outbox. ARGV: event count n, key prefix, search horizon,
    /// search ttl s, stats ttl s, stats value count c, n events, c stats values, then the recipient
    /// updates. Returns 0 when the message is not stored.
    /// </summary>
    public static readonly string Record = Functions + $$"""
        if redis.call('HEXISTS', KEYS[1], {{Lua.String(RedisMessageFields.Envelope)}}) == 0 then return 0 end
        local n = tonumber(ARGV[1])
        local c = tonumber(ARGV[6])
        for i = 7, 6 + n do
          redis.call('RPUSH', KEYS[2], ARGV[i])
        end
        local m = search_fields(KEYS[1])
        if #ARGV > 6 + n + c then
          redis.call('HSET', KEYS[1], unpack(ARGV, 7 + n + c))
          search_restatus(KEYS[1], m, ARGV[2], ARGV[3], ARGV[4])
        end
        message_events_to_outbox(KEYS[1], KEYS[3], KEYS[4], 7, 6 + n)
        count_events(ARGV[2], m, 7 + n, 6 + n + c, tonumber(ARGV[5]))
        return 1
        """;
}
