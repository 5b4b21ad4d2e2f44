using System.Security.Cryptography;

namespace SendApi.Core.Webhooks;

public static class WebhookIds
{
    private const string Prefix = "wh_";
    private const int HexLength = 20;

    public static string New() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(HexLength / 2));

    /// <summary>
    /// Ids come from URLs: anything else must not reach a store, where it would become part of a
    /// key (<c>webhook:{id}:deliveries:order</c> is another key's name).
    /// </summary>
    public static bool IsValid(string? id) =>
        id is { Length: 23 } && id.StartsWith(Prefix, StringComparison.Ordinal)
        && !id.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef");
}
