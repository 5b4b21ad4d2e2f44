using SendApi.Core.Messages;

namespace SendApi.Core.Suppressions;

/// <summary>An address an account no longer sends to, and why.</summary>
/// <param name="Address">The bare address in lower case (see <see cref="SuppressionAddresses.Normalize"/>).</param>
/// <param name="Reason">One of <see cref="SuppressionReasons"/>.</param>
/// <param name="Detail">Free text: the bounce's diagnostic, the complaint's feedback type, an operator's note.</param>
/// <param name="MessageId">The message whose bounce or complaint added the address, when one did.</param>
public sealed record Suppression(string Address, string Reason, string? Detail, string? MessageId, DateTimeOffset CreatedAt);

/// <summary>What adding returned: the entry now on the list, and whether this call put it there.</summary>
public sealed record SuppressionAddResult(Suppression Suppression, bool Added);

/// <summary>One page of an account's list, in address order; <paramref name="NextCursor"/> is null on the last page.</summary>
public sealed record SuppressionPage(IReadOnlyList<Suppression> Items, string? NextCursor);

public static class SuppressionReasons
{
    public const string HardBounce = "hard_bounce";
    public const string Complaint = "complaint";
    public const string Manual = "manual";
    public const string Unsubscribe = "unsubscribe";

    public static IReadOnlyList<string> All { get; } = [HardBounce, Complaint, Manual, Unsubscribe];

    public static bool IsKnown(string? reason) => reason is not null && All.Contains(reason, StringComparer.Ordinal);
}

public static class SuppressionAddresses
{
    /// <summary>
    /// The form addresses are stored and compared in: the mailbox's canonical spelling
    /// (<c>"bob"@x</c> is <c>bob@x</c>, see <see cref="EmailAddress.Canonical"/>) in lower case.
    /// Local parts are case-sensitive in theory (RFC 5321 §2.4) but no real mailbox provider
    /// treats them so, and a list that missed "Bob@x" because "bob@x" bounced would defeat its
    /// purpose. Every intake (HTTP, SMTP, bounces) and every store compares through this one rule.
    /// </summary>
    public static string Normalize(string address)
    {
        var trimmed = address.Trim();
        return (EmailAddress.TryParse(trimmed, out var mailbox, out _) ? mailbox.Canonical : trimmed).ToLowerInvariant();
    }
}
