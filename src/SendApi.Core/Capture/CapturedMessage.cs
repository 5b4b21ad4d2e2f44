namespace SendApi.Core.Capture;

/// <summary>
/// One SMTP transaction that capture mode kept instead of sending: the envelope it would have
/// used and what a listing shows. The exact bytes are stored beside it
/// (<see cref="ICaptureStore.GetRawAsync"/>), once, and the detail is read from them.
/// </summary>
/// <param name="Id">Our id, <c>cap_…</c>, ordered by capture time (<see cref="CaptureIds"/>).</param>
/// <param name="AccountId">The account of the message: only that account, and admin keys, see it.</param>
/// <param name="MessageId">Our id of the message (<c>GET /messages/{id}</c>); a message to several domains is captured once per domain, as it would be sent.</param>
/// <param name="Envelope">MAIL FROM and RCPT TO exactly as the transaction would have used them.</param>
/// <param name="From">The From header's (first) mailbox.</param>
/// <param name="To">The To header's mailboxes.</param>
/// <param name="Size">Octets of the captured bytes.</param>
/// <param name="Attachments">Parts other than the text and HTML bodies (attachments and inline images), as the detail numbers them.</param>
public sealed record CapturedMessage(
    string Id,
    string AccountId,
    DateTimeOffset CapturedAt,
    string MessageId,
    CapturedEnvelope Envelope,
    CapturedAddress? From,
    IReadOnlyList<CapturedAddress> To,
    string? Subject,
    long Size,
    bool HasText,
    bool HasHtml,
    int Attachments);

/// <param name="MailFrom">The return path: the per-message VERP address when Delivery:ReturnPathDomain is set, else the sender.</param>
/// <param name="RcptTo">The recipients of this transaction (one recipient domain's), in order.</param>
public sealed record CapturedEnvelope(string MailFrom, IReadOnlyList<string> RcptTo);

/// <param name="Name">The display name, when one was given.</param>
public sealed record CapturedAddress(string? Name, string Address);

/// <summary>Capture ids: <c>cap_</c> and 32 hex digits, ordered by capture time.</summary>
public static class CaptureIds
{
    public const string Prefix = "cap_";

    public static string New(DateTimeOffset capturedAt) => TimeOrderedIds.New(Prefix, capturedAt);

    /// <summary>Ids come from URLs: anything else must not reach a store key.</summary>
    public static bool IsValid(string id) => TimeOrderedIds.IsValid(Prefix, id);
}
