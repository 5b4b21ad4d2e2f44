using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SendApi.Core.Messages;

/// <summary>
/// The per-message return path (VERP), signed in the manner of BATV:
/// <c>bounces+&lt;message id&gt;-&lt;recipient&gt;-&lt;signature&gt;@&lt;return-path domain&gt;</c>.
/// A bounce sent to it names the message, and the recipient: its index in the envelope when the
/// transaction carried one recipient, or <c>m</c> when it carried several (all at one domain; the
/// DSN's Final-Recipient then says which). The signature, a MAC over the message id and the
/// recipient part (and for <c>m</c> the recipients' domain), is what stops a recipient who reads
/// its own return path from writing another recipient's, or anyone from inventing one.
/// </summary>
public static class ReturnPath
{
    private const string Prefix = "bounces+";
    private const string Several = "m";

    /// <param name="recipientDomain">The domain of the transaction's recipients: delivery groups them by domain.</param>
    public static string Encode(string messageId, IReadOnlyList<int> recipientIndexes, string recipientDomain, string returnPathDomain, ReturnPathKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var token = recipientIndexes.Count == 1 ? recipientIndexes[0].ToString(CultureInfo.InvariantCulture) : Several;
        return $"{Prefix}{messageId}-{token}-{key.Sign(messageId, Scope(token, recipientDomain))}@{returnPathDomain}";
    }

    /// <summary>
    /// Reads a return path's parts without judging them: both the signed form and the unsigned
    /// one (<c>bounces+&lt;id&gt;-&lt;recipient&gt;@…</c>) that messages sent before signing began carry.
    /// </summary>
    public static bool TryDecode(string address, [NotNullWhen(true)] out ReturnPathAddress? decoded)
    {
        decoded = null;
        var at = address.LastIndexOf('@');
        if (at < 0 || !address.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var parts = address[Prefix.Length..at].ToLowerInvariant().Split('-');
        if (parts.Length is not (2 or 3) || !IsMessageId(parts[0]))
        {
            // Not an id of ours (letters and digits only): never let it name another store key ("…:mime").
            return false;
        }

        int? index = null;
        if (parts[1] != Several)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            index = value;
        }

        var signature = parts.Length == 3 ? parts[2] : null;
        if (signature is not null && !ReturnPathKey.IsSignatureShaped(signature))
        {
            return false;
        }

        decoded = new ReturnPathAddress(parts[0], index, signature);
        return true;
    }

    /// <summary>What the signature covers besides the message id: the index, or "m" and the recipients' domain.</summary>
    internal static string Scope(string token, string recipientDomain) =>
        token == Several ? $"{Several}:{recipientDomain.ToLowerInvariant()}" : token;

    private static bool IsMessageId(string id) =>
        id.Length is > 0 and <= 64 && !id.AsSpan().ContainsAnyExcept("0123456789abcdefghijklmnopqrstuvwxyz");
}

/// <summary>A return path as read: the message, the recipient (null for the "several" form), and the signature when it has one.</summary>
public sealed record ReturnPathAddress(string MessageId, int? RecipientIndex, string? Signature)
{
    /// <summary>
    /// Whether <see cref="Signature"/> was made with <paramref name="key"/> for this message and
    /// recipient; for the "several" form, for recipients at <paramref name="recipientDomain"/>.
    /// </summary>
    public bool IsSignedBy(ReturnPathKey key, string recipientDomain = "")
    {
        ArgumentNullException.ThrowIfNull(key);
        var token = RecipientIndex is { } index ? index.ToString(CultureInfo.InvariantCulture) : "m";
        return Signature is not null && key.Verify(MessageId, ReturnPath.Scope(token, recipientDomain), Signature);
    }
}
