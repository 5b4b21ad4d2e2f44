using SendApi.Core.Messages;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The fields of a message's hash <c>msg:{id}</c>, and the script functions that read and write
/// them. <c>env</c> is the envelope's JSON and <c>account</c> its account alone; per recipient i,
/// <c>r:{i}</c> is the state's JSON (what readers read) and <c>s:{i}</c> its status alone (what
/// the scripts compare), always written together. Records written before <c>account</c> and
/// <c>s:{i}</c> existed have only <c>env</c> and <c>r:{i}</c>: the functions below then read the
/// same value from the JSON, so data of the previous version keeps working. <c>variants</c>
/// (each recipient's variant, a JSON array) is there only on a message with per-recipient bodies,
/// which are in their own key (<see cref="RedisKeys.Variants"/>), as the base body is.
/// </summary>
internal static class RedisMessageFields
{
    public const string Envelope = "env";

    public const string Account = "account";

    public const string Variants = "variants";

    /// <summary>The id of the last attempt recorded (<see cref="RedisScripts.Complete"/>), so that a retry of it is recognised.</summary>
    public const string Recorded = "recorded";

    /// <summary>ARGV values per recipient update: state field, state JSON, status field, status.</summary>
    public const int ValuesPerRecipient = 4;

    public static string State(int index) => $"r:{index}";

    public static string Status(int index) => $"s:{index}";

    /// <summary>Appends one recipient's <see cref="ValuesPerRecipient"/> ARGV values, which HSET takes as they are.</summary>
    public static void Add(List<RedisValue> args, int index, RecipientState state)
    {
        args.Add(State(index));
        args.Add(StorageJson.SerializeToUtf8(state));
        args.Add(Status(index));
        args.Add(StorageJson.EnumName(state.Status));
    }

    /// <summary>Appends the <see cref="Variants"/> field and its value when the message has variants, for the same HSET as the recipients.</summary>
    public static void AddVariants(List<RedisValue> args, MessageVariants variants)
    {
        if (!variants.IsEmpty)
        {
            args.Add(Variants);
            args.Add(StorageJson.Serialize(variants.VariantOfRecipient));
        }
    }

    /// <summary>
    /// <c>write_attempt_states(key, first)</c>: writes the recipient updates from ARGV[first] on,
    /// except over a status that <see cref="RecipientTransitions.AttemptMayReplace"/> protects
    /// (the table is generated from it). <c>message_account(key)</c>: the account, and the
    /// envelope when it had to be read for it.
    /// </summary>
    public static readonly string Functions = $$"""
        local attempt_may_not_replace = {{Lua.SetOf(Enum.GetValues<RecipientStatus>().Where(s => !RecipientTransitions.AttemptMayReplace(s)).Select(StorageJson.EnumName))}}
        local function json_field(json, name)
          local ok, decoded = pcall(cjson.decode, json or '')
          if ok and type(decoded) == 'table' and type(decoded[name]) == 'string' then return decoded[name] end
          return false
        end
        local function stored_status(key, state_field, status_field)
          local status = redis.call('HGET', key, status_field)
          if status then return status end
          return json_field(redis.call('HGET', key, state_field), {{Lua.String(StorageJson.PropertyName(nameof(RecipientState.Status)))}})
        end
        local function write_attempt_states(key, first)
          for i = first, #ARGV, {{Lua.Number(ValuesPerRecipient)}} do
            if not attempt_may_not_replace[stored_status(key, ARGV[i], ARGV[i + 2])] then
              redis.call('HSET', key, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
            end
          end
        end
        local function message_account(key)
          local account = redis.call('HGET', key, {{Lua.String(Account)}})
          if account then return account, nil end
          local env = redis.call('HGET', key, {{Lua.String(Envelope)}})
          return json_field(env, {{Lua.String(StorageJson.PropertyName(nameof(MessageEnvelope.AccountId)))}}), env
        end
        """;
}
