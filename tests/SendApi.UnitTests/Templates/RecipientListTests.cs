using System.Text.Json;
using SendApi.Api;
using SendApi.Api.Features.Messages;
using SendApi.Api.Http;

namespace SendApi.UnitTests.Templates;

public sealed class RecipientListTests
{
    private static readonly JsonSerializerOptions Json = Options();

    private static JsonSerializerOptions Options()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiServiceCollectionExtensions.ConfigureJson(json);
        return json;
    }

    private static SendMessageRequest Read(string json) => JsonSerializer.Deserialize<SendMessageRequest>(json, Json)!;

    [Fact]
    public void To_entries_may_be_addresses_or_recipient_objects_whose_variables_stay_with_their_entry()
    {
        var request = Read("""{"to": ["a@example.test", {"email": "b@example.test", "name": "Bee \"B\"", "variables": {"n": 2}}, {"email": "c@example.test"}]}""");

        Assert.Equal(["a@example.test", "\"Bee \\\"B\\\"\" <b@example.test>", "c@example.test"], request.To);
        var list = Assert.IsType<RecipientList>(request.To);
        Assert.Null(list.VariablesOf(0));
        Assert.Equal(2, list.VariablesOf(1)!["n"].GetInt32());
        Assert.Null(list.VariablesOf(2));
        Assert.True(EmailAddresses.TryParse(request.To![1], out var mailbox, out _));
        Assert.Equal(("Bee \"B\"", "b@example.test"), (mailbox.Name, mailbox.Address));
    }

    [Fact]
    public void A_single_address_or_object_stands_without_the_array()
    {
        Assert.Equal(["a@example.test"], Read("""{"to": "a@example.test"}""").To);
        Assert.Equal(["a@example.test"], Read("""{"to": {"email": "a@example.test", "variables": {"x": 1}}}""").To);
    }

    [Fact]
    public void Requests_differing_only_in_a_recipients_variables_have_different_idempotency_fingerprints()
    {
        var ann = Read("""{"to": [{"email": "a@example.test", "variables": {"name": "Ann"}}], "template": "t"}""");
        var bob = Read("""{"to": [{"email": "a@example.test", "variables": {"name": "Bob"}}], "template": "t"}""");
        var again = Read("""{"to": [{"email": "a@example.test", "variables": {"name": "Ann"}}], "template": "t"}""");

        Assert.NotEqual(RequestFingerprint.OfJson("POST /messages", ann), RequestFingerprint.OfJson("POST /messages", bob));
        Assert.Equal(RequestFingerprint.OfJson("POST /messages", ann), RequestFingerprint.OfJson("POST /messages", again));
    }
}
