using System.Security.Cryptography;
using System.Text;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// A receiver's check of a Standard Webhooks request, written from the specification and
/// independent of SendApi's signer: base64-decode the secret after "whsec_", HMAC-SHA256 the
/// bytes of "{webhook-id}.{webhook-timestamp}.{body}", and accept when any "v1," entry of the
/// space-separated webhook-signature header matches (compared in fixed time) and the timestamp is
/// within five minutes.
/// </summary>
internal static class StandardWebhooksVerifier
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static bool Verify(string secret, ReceivedWebhook request, DateTimeOffset now)
    {
        if (!long.TryParse(request.Timestamp, out var seconds) || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return false;
        }

        var key = Convert.FromBase64String(secret.Split('_', 2)[1]);
        var signed = Encoding.UTF8.GetBytes($"{request.Id}.{request.Timestamp}.").Concat(request.Body).ToArray();
        var expected = HMACSHA256.HashData(key, signed);
        foreach (var entry in request.Signature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(',', 2);
            if (parts is ["v1", var base64] && TryDecode(base64, out var actual) && CryptographicOperations.FixedTimeEquals(actual, expected))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryDecode(string base64, out byte[] bytes)
    {
        bytes = new byte[base64.Length];
        if (Convert.TryFromBase64String(base64, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }
}
