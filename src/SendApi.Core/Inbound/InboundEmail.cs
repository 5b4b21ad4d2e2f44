namespace SendApi.Core.Inbound;

/// <summary>
/// A message received on port 25 for one of our inbound domains, or a person's reply to a return
/// path, as the API and the <c>inbound.received</c> webhook show it. The original MIME is kept
/// beside it (<see cref="IInboundStore.GetRawAsync"/>).
/// </summary>
/// <param name="Id">Our id, <c>in_…</c>.</param>
/// <param name="AccountId">Whose it is: the inbound domain's account, or the account of the message replied to.</param>
/// <param name="ReplyText">The text with the quoted history and the signature stripped: what the person wrote this time.</param>
/// <param name="MessageId">The Message-ID header, without angle brackets.</param>
/// <param name="InReplyToMessageId">Our id of the message this one answers, when In-Reply-To, References or the return path names one of this account's messages.</param>
/// <param name="AutoReply">True for an automatic answer (out of office, RFC 3834 Auto-Submitted), so applications can skip it.</param>
/// <param name="Size">Octets of the original MIME.</param>
/// <param name="Truncated">
/// True in a webhook whose text, HTML or headers were cut to <see cref="WebhookLimit"/>: the whole
/// message is at <c>GET /inbound/{id}</c> and <c>/raw</c>.
/// </param>
public sealed record InboundEmail(
    string Id,
    string AccountId,
    DateTimeOffset ReceivedAt,
    InboundEnvelope Envelope,
    InboundAddress? From,
    IReadOnlyList<InboundAddress> To,
    IReadOnlyList<InboundAddress> Cc,
    IReadOnlyList<InboundAddress> ReplyTo,
    string? Subject,
    DateTimeOffset? Date,
    string? MessageId,
    string? InReplyTo,
    IReadOnlyList<string> References,
    string? InReplyToMessageId,
    string? Text,
    string? Html,
    string? ReplyText,
    bool AutoReply,
    IReadOnlyList<InboundHeader> Headers,
    IReadOnlyList<InboundAttachment> Attachments,
    long Size,
    bool Truncated = false)
{
    /// <summary>Characters of text, HTML and reply text a webhook carries, each.</summary>
    public const int WebhookLimit = 256 * 1024;

    /// <summary>Headers a webhook carries; a message with more is a spam run, not correspondence.</summary>
    public const int WebhookHeaderLimit = 200;

    /// <summary>
    /// What the <c>inbound.received</c> webhook carries: bounded, since anyone on the internet can
    /// send a 10 MB body, and every pending event and delivery log entry holds a copy.
    /// </summary>
    public InboundEmail ForWebhook()
    {
        var (text, html, reply) = (Cut(Text), Cut(Html), Cut(ReplyText));
        var cut = !ReferenceEquals(text, Text) || !ReferenceEquals(html, Html) || !ReferenceEquals(reply, ReplyText) || Headers.Count > WebhookHeaderLimit;
        return cut
            ? this with { Text = text, Html = html, ReplyText = reply, Headers = [.. Headers.Take(WebhookHeaderLimit)], Truncated = true }
            : this;
    }

    private static string? Cut(string? value) => value is { Length: > WebhookLimit } ? value[..WebhookLimit] : value;
}

/// <summary>The SMTP transaction that brought the message.</summary>
/// <param name="MailFrom">MAIL FROM, <c>""</c> for the null sender.</param>
/// <param name="RcptTo">The accepted RCPT TO addresses.</param>
/// <param name="RemoteIp">The connecting client's address.</param>
/// <param name="Helo">What the client said in EHLO/HELO.</param>
/// <param name="Tls">Whether the session was encrypted (STARTTLS).</param>
public sealed record InboundEnvelope(string MailFrom, IReadOnlyList<string> RcptTo, string? RemoteIp, string? Helo, bool Tls);

/// <param name="Name">The display name, when one was given.</param>
public sealed record InboundAddress(string? Name, string Address);

/// <summary>A header as received (unfolded), in message order; a repeated header appears once per occurrence.</summary>
public sealed record InboundHeader(string Name, string Value);

/// <summary>
/// An attachment's description; its content is served by <c>GET /inbound/{id}/attachments/{index}</c>
/// from the stored MIME, so the record stays small.
/// </summary>
/// <param name="Index">Position among the message's attachments, from 0.</param>
/// <param name="Size">Decoded size in octets.</param>
/// <param name="ContentId">For inline parts referenced from the HTML (<c>cid:</c>), without angle brackets.</param>
/// <param name="Inline">True for Content-Disposition: inline (e.g. images shown in the HTML).</param>
public sealed record InboundAttachment(int Index, string? Filename, string ContentType, long Size, string? ContentId, bool Inline);
