namespace SendApi.Inbound;

/// <summary>What a message that arrived on port 25 turned out to be.</summary>
/// <remarks>Closed hierarchy: <see cref="Bounce"/>, <see cref="Complaint"/>, <see cref="AutoReply"/> or <see cref="Reply"/>.</remarks>
public abstract record InboundReport
{
    private protected InboundReport()
    {
    }
}

/// <summary>A delivery status notification: a DSN (RFC 3464) or a plain-text bounce from an older MTA.</summary>
/// <param name="Recipients">One entry per recipient the report speaks of; best effort when <paramref name="IsRfc3464"/> is false.</param>
/// <param name="IsRfc3464">True when read from a <c>message/delivery-status</c> part, false when guessed from text.</param>
/// <param name="Original">What the report quotes of the message it is about.</param>
public sealed record Bounce(IReadOnlyList<BouncedRecipient> Recipients, bool IsRfc3464, OriginalMessage Original) : InboundReport
{
    public string? OriginalMessageId => Original.MessageId;
}

/// <param name="FinalRecipient">The address the reporting MTA tried, without its <c>rfc822;</c> type.</param>
/// <param name="OriginalRecipient">The address as we gave it in RCPT TO (ORCPT), when reported.</param>
/// <param name="Action"><c>failed</c>, <c>delayed</c>, <c>delivered</c>, <c>relayed</c> or <c>expanded</c>.</param>
/// <param name="Status">The RFC 3463 enhanced status code, e.g. <c>5.1.1</c>.</param>
/// <param name="DiagnosticCode">As reported, e.g. <c>smtp; 550 5.1.1 &lt;x@y&gt;: User unknown</c>.</param>
/// <param name="RemoteMta">The host that gave the diagnostic, without its <c>dns;</c> type.</param>
/// <param name="Reason">Short human text for the timeline, e.g. <c>mailbox does not exist (5.1.1)</c>.</param>
public sealed record BouncedRecipient(
    string? FinalRecipient,
    string? OriginalRecipient,
    string Action,
    string? Status,
    string? DiagnosticCode,
    string? RemoteMta,
    BounceKind Kind,
    string Reason);

public enum BounceKind
{
    /// <summary>Not classified: a success report, or a permanent failure that says nothing more.</summary>
    Unknown,

    /// <summary>The address will keep failing: suppress it.</summary>
    Hard,

    /// <summary>This delivery failed or is late; the address may work later.</summary>
    Soft,
}

/// <summary>An abuse (or other) feedback report, RFC 5965 (ARF).</summary>
/// <param name="OriginalRecipient">Original-Rcpt-To, else the single To of the quoted original; providers often redact both.</param>
/// <param name="FeedbackType"><c>abuse</c>, <c>fraud</c>, <c>virus</c>, <c>not-spam</c>, <c>other</c>…</param>
public sealed record Complaint(
    string? OriginalRecipient,
    string? FeedbackType,
    string? UserAgent,
    string? ReportedDomain,
    string? SourceIp,
    OriginalMessage Original) : InboundReport
{
    public string? OriginalMessageId => Original.MessageId;
}

/// <summary>An automatic answer (out of office, vacation, RFC 3834): never a bounce, not a human reply.</summary>
/// <param name="Reason">Which signal gave it away, e.g. <c>Auto-Submitted: auto-replied</c>.</param>
public sealed record AutoReply(string Reason) : InboundReport;

/// <summary>Anything else: a message written by a person.</summary>
public sealed record Reply : InboundReport;

/// <summary>
/// The identifiers of the message a report is about, read from its <c>text/rfc822-headers</c> or
/// <c>message/rfc822</c> part, or from the copy a plain-text bounce quotes. Our return path (VERP)
/// maps a bounce first; the Message-ID is the fallback, so it is surfaced whenever present.
/// </summary>
/// <param name="MessageId">Without angle brackets, as <see cref="MimeKit.MimeMessage.MessageId"/> gives it.</param>
/// <param name="ReturnPath">The original's Return-Path (or, in a feedback report, Original-Mail-From), without angle brackets.</param>
/// <param name="To">The original's To addresses.</param>
public sealed record OriginalMessage(string? MessageId, string? ReturnPath, IReadOnlyList<string> To)
{
    public static OriginalMessage None { get; } = new(null, null, []);
}
