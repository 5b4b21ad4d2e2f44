using System.Text;
using SendApi.Webhooks;

namespace SendApi.UnitTests.Webhooks;

public sealed class WebhookSignatureTests
{
    // The example of the Standard Webhooks specification; the expected value was checked with Python's hmac module.
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private static readonly byte[] SpecBody = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");

    [Fact]
    public void Signs_the_Standard_Webhooks_example_as_the_specification_does()
    {
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", WebhookSignature.Sign(SpecSecret, SpecId, SpecTimestamp, SpecBody));
    }

    [Fact]
    public void A_secret_without_its_prefix_is_the_same_key()
    {
        Assert.Equal(
            WebhookSignature.Sign(SpecSecret, SpecId, SpecTimestamp, SpecBody),
            WebhookSignature.Sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SpecId, SpecTimestamp, SpecBody));
    }

    [Fact]
    public void During_a_rotation_the_header_carries_one_signature_per_secret_separated_by_a_space()
    {
        var next = WebhookSecrets.Generate();
        var header = WebhookSignature.Header([next, SpecSecret], SpecId, SpecTimestamp, SpecBody);

        Assert.Equal(
            $"{WebhookSignature.Sign(next, SpecId, SpecTimestamp, SpecBody)} v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            header);
    }

    [Fact]
    public void Any_change_to_id_timestamp_or_body_changes_the_signature()
    {
        var original = WebhookSignature.Sign(SpecSecret, SpecId, SpecTimestamp, SpecBody);
        Assert.NotEqual(original, WebhookSignature.Sign(SpecSecret, SpecId + "x", SpecTimestamp, SpecBody));
        Assert.NotEqual(original, WebhookSignature.Sign(SpecSecret, SpecId, SpecTimestamp + 1, SpecBody));
        Assert.NotEqual(original, WebhookSignature.Sign(SpecSecret, SpecId, SpecTimestamp, Encoding.UTF8.GetBytes("{\"test\": 2432232315}")));
    }

    [Fact]
    public void Generated_secrets_are_whsec_and_32_random_bytes()
    {
        var secret = WebhookSecrets.Generate();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.NotEqual(secret, WebhookSecrets.Generate());
    }
}
