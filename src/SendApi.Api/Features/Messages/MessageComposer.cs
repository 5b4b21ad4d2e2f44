using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Text;
using SendApi.Core.Messages;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// Builds the MIME message with MimeKit from a validated request: From/To/Cc/Reply-To/Subject,
/// Date, a Message-ID on our domain, the bodies and attachments. Bcc recipients are envelope-only
/// and never written into a header. What it returns goes to <see cref="MessageIntake"/>.
/// </summary>
internal sealed class MessageComposer(IOptions<MessagesOptions> options, TimeProvider time)
{
    private readonly MessagesOptions _options = options.Value;

    public IncomingMessage Compose(SendMessageRequest request, string id, string accountId)
    {
        var now = time.GetUtcNow();
        var from = Mailbox(request.From!);
        var message = new MimeMessage { Date = now, Subject = request.Subject ?? "" };
        message.From.Add(from);
        message.To.AddRange((request.To ?? []).Select(Mailbox));
        message.Cc.AddRange((request.Cc ?? []).Select(Mailbox));
        if (request.ReplyTo is not null)
        {
            message.ReplyTo.Add(Mailbox(request.ReplyTo));
        }

        message.MessageId = $"{id}@{_options.MessageIdDomain}";
        foreach (var (name, value) in request.Headers ?? new Dictionary<string, string>())
        {
            message.Headers.Add(name, value);
        }

        message.Body = Body(request);

        return new IncomingMessage(id, accountId, now, message, Sender: from.Address, From: from.ToString(), request.Subject, Recipients(request))
        {
            Tags = request.Tags ?? [],
            Metadata = request.Metadata ?? new Dictionary<string, string>(),
            ScheduledAt = ScheduledTimes.TryParse(request.ScheduledAt, out var at) ? at : null,
            Tracking = SendMessageValidator.TrackingOf(request),
        };
    }

    /// <summary>A cheap upper bound checked before building anything: decoded attachment and body sizes.</summary>
    public static long EstimateSize(SendMessageRequest request) =>
        (request.Text?.Utf8Length ?? 0) + (request.Html?.Utf8Length ?? 0)
        + (request.Attachments ?? []).Sum(a => (a?.Content?.Length ?? 0) * 3L / 4);

    /// <summary>
    /// The MIME structure of MimeKit's <c>BodyBuilder</c> (text and html as multipart/alternative,
    /// inline attachments with the html as multipart/related, attachments in multipart/mixed), with
    /// the bodies' UTF-8 bytes as their parts' content: <c>BodyBuilder</c> takes strings and encodes
    /// them again.
    /// </summary>
    private static MimeEntity Body(SendMessageRequest request)
    {
        var attachments = new List<MimeEntity>();
        var inline = new List<MimeEntity>();
        var builder = new BodyBuilder(); // only to make each attachment's part (file name, type, base64)
        foreach (var attachment in request.Attachments ?? [])
        {
            var bytes = Convert.FromBase64String(attachment.Content!);
            var contentType = ContentType.Parse(attachment.ContentType ?? MimeTypes.GetMimeType(attachment.Filename!));
            var entity = builder.Attachments.Add(attachment.Filename!, bytes, contentType);
            if (attachment.ContentId is not null)
            {
                MakeInline(entity, attachment.ContentId);
                inline.Add(entity);
            }
            else
            {
                attachments.Add(entity);
            }
        }

        // An empty body is left out (BodyBuilder kept it): clients send the one they don't use as ""
        // (the compat routes pass it on), and an empty html alternative shows as a blank email, the
        // preferred part of a multipart/alternative being the last.
        MimeEntity? body = request.Text is { IsEmpty: false } text ? TextPartOf(TextFormat.Plain, text) : null;
        if (request.Html is { IsEmpty: false } html)
        {
            MimeEntity htmlBody = TextPartOf(TextFormat.Html, html);
            if (inline.Count > 0)
            {
                var related = new MultipartRelated { Root = htmlBody };
                inline.ForEach(related.Add);
                htmlBody = related;
            }

            body = body is null ? htmlBody : new MultipartAlternative { body, htmlBody };
        }

        if (attachments.Count == 1 && body is null)
        {
            return attachments[0];
        }

        if (attachments.Count > 0)
        {
            var mixed = new Multipart("mixed");
            if (body is not null)
            {
                mixed.Add(body);
            }

            attachments.ForEach(mixed.Add);
            body = mixed;
        }

        return body ?? new TextPart(TextFormat.Plain) { Text = "" };
    }

    /// <summary>
    /// A text part whose content is the body's UTF-8 bytes, as <c>TextPart.Text = ...</c> would
    /// have made it, without encoding a string; it writes its CRLF line ends itself (<see cref="CanonicalTextPart"/>).
    /// </summary>
    private static TextPart TextPartOf(TextFormat format, BodyContent body) => new CanonicalTextPart(format, body);

    /// <summary>
    /// Makes an attachment inline, one of the related parts referenced from the HTML by its Content-ID.
    /// MimeKit's <c>LinkedResources.Add</c> would also make a Content-Location of the file name and
    /// threw on a name that is not a relative URI ("a:b"): a 500 for a legitimate file name.
    /// </summary>
    private static void MakeInline(MimeEntity entity, string contentId)
    {
        entity.ContentDisposition ??= new ContentDisposition();
        entity.ContentDisposition.Disposition = ContentDisposition.Inline;
        entity.ContentId = contentId;
        if (entity is MimePart { FileName: { } name } && Uri.TryCreate(name, UriKind.Relative, out var location))
        {
            entity.ContentLocation = location;
        }
    }

    /// <summary>Envelope recipients in order, each address once (the first kind it appears as wins).</summary>
    private static List<RecipientAddress> Recipients(SendMessageRequest request)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var list = new List<RecipientAddress>();
        void Add(IEnumerable<string>? addresses, RecipientKind kind)
        {
            foreach (var text in addresses ?? [])
            {
                var address = Mailbox(text).Address;
                if (seen.Add(address))
                {
                    list.Add(new RecipientAddress(address, kind));
                }
            }
        }

        Add(request.To, RecipientKind.To);
        Add(request.Cc, RecipientKind.Cc);
        Add(request.Bcc, RecipientKind.Bcc);
        return list;
    }

    private static MailboxAddress Mailbox(string text) =>
        EmailAddresses.TryParse(text, out var mailbox, out var error)
            ? mailbox
            : throw new ArgumentException($"Unvalidated address reached the composer: {error}", nameof(text));
}
