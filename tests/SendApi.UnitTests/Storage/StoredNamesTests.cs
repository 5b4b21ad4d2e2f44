using System.Text.Json.Nodes;
using SendApi.Core.Messages;
using SendApi.Storage;
using SendApi.Storage.Redis;

namespace SendApi.UnitTests.Storage;

/// <summary>
/// The Redis scripts compare names that C# writes in two ways: a status in its own field
/// (<see cref="StorageJson.EnumName{T}"/>) and inside the state's JSON (the serializer), which the
/// scripts read for records of the previous version. These must agree, or a script would miss a
/// bounce on one kind of record.
/// </summary>
public sealed class StoredNamesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<RecipientStatus> EveryStatus => [.. Enum.GetValues<RecipientStatus>()];

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void The_status_field_holds_the_same_name_as_the_states_json(RecipientStatus status)
    {
        var json = JsonNode.Parse(StorageJson.Serialize(new RecipientState(status, 1, null, null, T0)))!;

        Assert.Equal((string?)json[StorageJson.PropertyName(nameof(RecipientState.Status))], StorageJson.EnumName(status));
    }

    [Fact]
    public void The_scripts_find_the_account_under_the_name_the_envelopes_json_uses()
    {
        var envelope = new MessageEnvelope("id", "acct-7", "a@acme.test", "a@acme.test", null, [], [], new Dictionary<string, string>(), T0, "id@x", 1);

        var json = JsonNode.Parse(StorageJson.Serialize(envelope))!;

        Assert.Equal("acct-7", (string?)json[StorageJson.PropertyName(nameof(MessageEnvelope.AccountId))]);
    }

    [Fact]
    public void Each_recipient_update_is_its_state_json_and_its_status_under_fields_of_its_index()
    {
        var args = new List<StackExchange.Redis.RedisValue>();
        var bounced = new RecipientState(RecipientStatus.Bounced, 1, null, null, T0);

        RedisMessageFields.Add(args, 3, bounced);

        Assert.Equal(RedisMessageFields.ValuesPerRecipient, args.Count);
        Assert.Equal(["r:3", StorageJson.Serialize(bounced), "s:3", "bounced"], args.Select(a => (string)a!));
    }

    [Fact]
    public void Records_written_as_utf8_bytes_are_the_json_the_string_form_stores_and_read_back_equal()
    {
        var envelope = new MessageEnvelope("id", "acct-7", "a@acme.test", "Ä <a@acme.test>", "Grüße ✓ \"quoted\" 😀", [new RecipientAddress("b@example.test", RecipientKind.To)],
            ["tag"], new Dictionary<string, string> { ["k"] = "välue" }, T0, "id@x", 1);
        var state = new RecipientState(RecipientStatus.Deferred, 2, new SmtpReply(451, "4.7.1", "Später"), T0.AddMinutes(5), T0);

        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(StorageJson.Serialize(envelope)), StorageJson.SerializeToUtf8(envelope));
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(StorageJson.Serialize(state)), StorageJson.SerializeToUtf8(state));
        var read = StorageJson.DeserializeUtf8<MessageEnvelope>(StorageJson.SerializeToUtf8(envelope));
        Assert.Equal(envelope.Subject, read.Subject);
        Assert.Equal(envelope.From, read.From);
        Assert.Equal("välue", read.Metadata["k"]);
        Assert.Equal(state, StorageJson.DeserializeUtf8<RecipientState>(StorageJson.SerializeToUtf8(state)));
    }

    [Fact]
    public void Only_identifiers_are_written_into_script_text()
    {
        Assert.Equal("'it\\'s'", Lua.String("it's"));
        Assert.Equal("{ ['bounced'] = true, ['failed'] = true }", Lua.SetOf(["bounced", "failed"]));
        Assert.Throws<ArgumentException>(() => Lua.String("a\nb"));
    }
}
