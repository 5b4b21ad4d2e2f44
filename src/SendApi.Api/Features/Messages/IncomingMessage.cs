using MimeKit;
using SendApi.Api.Auth;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Messages;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// A message on its way into <see cref="MessageIntake"/>, from any channel: the MIME message as it
/// will be delivered, and what its envelope needs that the MIME message does not say. JSON requests
/// are composed into one (<see cref="MessageComposer"/>); a message submitted whole (SMTP, or raw
/// MIME over HTTP) becomes one with <see cref="FromMime"/>.
/// </summary>
/// <param name="Id">Our id; the channel takes it first because it may write it into the message (Message-ID, Received).</param>
/// <param name="AccountId">The account of the API key that sent it.</param>
/// <param name="ReceivedAt">When it came in: the envelope's creation time, and the Date when the message has none.</param>
/// <param name="Mime">The message; the intake completes it (Message-ID, Date), writes it out once and disposes it, with the variants' (a channel hands it over).</param>
/// <param name="Sender">The envelope sender (return path owner), a bare address.</param>
/// <param name="From">The From as shown in the message list, e.g. <c>"Acme" &lt;hello@acme.test&gt;</c>.</param>
/// <param name="Subject">The subject as the client gave it; null when it gave none.</param>
/// <param name="Recipients">The envelope recipients, each once, in order: the ones delivered.</param>
internal sealed record IncomingMessage(
    string Id,
    string AccountId,
    DateTimeOffset ReceivedAt,
    MimeMessage Mime,
    string Sender,
    string From,
    string? Subject,
    IReadOnlyList<RecipientAddress> Recipients)
{
    public IReadOnlyList<string> Tags { get; init; } = [];

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The message's size as its client sent it, on a channel that takes the client's bytes and
    /// holds them to the limit itself (SMTP DATA, under the SIZE it advertises). The intake then
    /// holds this to <c>Messages:MaxSizeBytes</c>, not the stored form, which is larger by what the
    /// service adds (its Received line, a missing Message-ID or Date): a message the server said
    /// it would take by its size is not refused for those after DATA. Null: the stored form counts.
    /// </summary>
    public long? SentOctets { get; init; }

    /// <summary>The way it came in, as the accepted-messages metric counts it: <see cref="Http"/> (the default) or <see cref="Smtp"/>.</summary>
    public string Channel { get; init; } = Http;

    public const string Http = "http";

    public const string Smtp = "smtp";

    /// <summary>
    /// The API key it is sent with: the intake refuses a From domain the key may not send as and
    /// captures a sandbox key's mail. Every channel sets it; the intake refuses a message without
    /// one, so a new channel cannot skip the key's restrictions by forgetting them.
    /// </summary>
    public SendingKey? Key { get; init; }

    /// <summary>The client's key: the same key within the idempotency window answers with the first message.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The request the client sent with <see cref="IdempotencyKey"/> (<see cref="Messages.RequestFingerprint"/>):
    /// the intake binds the key to it first, and refuses the message when the key stands for
    /// another request. Null when the key is bound elsewhere (each message of a batch).
    /// </summary>
    public string? RequestFingerprint { get; init; }

    /// <summary>When the client asked it to go out; null for at once. The intake takes it as given (the channel checked the window).</summary>
    public DateTimeOffset? ScheduledAt { get; init; }

    /// <summary>
    /// Per-recipient bodies; recipients in none receive <see cref="Mime"/>, as every recipient
    /// does when there are none (every channel today). The way in for what renders content per
    /// recipient, so that it goes through the same intake as everything else.
    /// </summary>
    public IReadOnlyList<MessageVariant> Variants { get; init; } = [];

    /// <summary>
    /// Unsubscribe headers and open/click tracking as the client asked (unset: the server's
    /// defaults). When any is on, the intake gives each recipient its own body
    /// (<see cref="RecipientPersonalizer"/>), after <see cref="Variants"/> are rendered.
    /// </summary>
    public TrackingChoice Tracking { get; init; } = TrackingChoice.Default;

    /// <summary>
    /// A message the client built itself: From and Subject come from its headers (From falls back
    /// to the envelope sender), and each envelope recipient is To or Cc when those headers name
    /// it, Bcc otherwise. Header recipients not in the envelope receive nothing.
    /// </summary>
    public static IncomingMessage FromMime(
        string id, string accountId, DateTimeOffset receivedAt, MimeMessage mime, string sender, IReadOnlyList<string> envelopeRecipients) =>
        new(id, accountId, receivedAt, mime,
            sender,
            From: mime.From.Mailboxes.FirstOrDefault()?.ToString() ?? sender,
            Subject: mime.Subject,
            RecipientsByHeader(mime, envelopeRecipients));

    /// <summary>Envelope recipients, each once; To/Cc when the headers name them, Bcc otherwise.</summary>
    private static List<RecipientAddress> RecipientsByHeader(MimeMessage mime, IReadOnlyList<string> envelope)
    {
        var to = mime.To.Mailboxes.Select(m => m.Address).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var cc = mime.Cc.Mailboxes.Select(m => m.Address).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return [.. envelope.Where(seen.Add).Select(address => new RecipientAddress(address,
            to.Contains(address) ? RecipientKind.To : cc.Contains(address) ? RecipientKind.Cc : RecipientKind.Bcc))];
    }
}
