using System.Globalization;

namespace SendApi.Core.Messages;

/// <summary>
/// The per-message return path (VERP): <c>bounces+&lt;message id&gt;-&lt;recipient&gt;@&lt;return-path domain&gt;</c>.
/// A bounce sent to it names the message, and the recipient: its index in the envelope when the
/// transaction carried one recipient, or <c>m</c> when it carried several (the DSN's
/// Final-Recipient then says which).
/// </summary>
public static class ReturnPath
{
    private const string Prefix = "bounces+";
    private const string Several = "m";

    public static string Encode(string messageId, IReadOnlyList<int> recipientIndexes, string domain) =>
        $"{Prefix}{messageId}-{(recipientIndexes.Count == 1 ? recipientIndexes[0].ToString(CultureInfo.InvariantCulture) : Several)}@{domain}";

    /// <param name="recipientIndex">The recipient's index, or null when the transaction had several.</param>
    public static bool TryDecode(string address, out string messageId, out int? recipientIndex)
    {
        messageId = "";
        recipientIndex = null;
        var at = address.LastIndexOf('@');
        if (at < 0 || !address.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var local = address[Prefix.Length..at];
        var dash = local.LastIndexOf('-');
        if (dash <= 0)
        {
            return false;
        }

        var token = local[(dash + 1)..];
        messageId = local[..dash].ToLowerInvariant();
        if (messageId.Length is 0 or > 64 || messageId.AsSpan().ContainsAnyExcept("0123456789abcdefghijklmnopqrstuvwxyz"))
        {
            // Not an id of ours (letters and digits only): never let it name another store key ("…:mime").
            messageId = "";
            return false;
        }

        if (token == Several)
        {
            return true;
        }

        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            recipientIndex = index;
            return true;
        }

        return false;
    }
}
