using Microsoft.Extensions.Options;
using MimeKit;
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
        (request.Text?.Length ?? 0) + (request.Html?.Length ?? 0)
        + (request.Attachments ?? []).Sum(a => (a?.Content?.Length ?? 0) * 3L / 4);

    private static MimeEntity Body(SendMessageRequest request)
    {
        var builder = new BodyBuilder { TextBody = request.Text, HtmlBody = request.Html };
        foreach (var attachment in request.Attachments ?? [])
        {
            var bytes = Convert.FromBase64String(attachment.Content!);
            var contentType = ContentType.Parse(attachment.ContentType ?? MimeTypes.GetMimeType(attachment.Filename!));
            var entity = builder.Attachments.Add(attachment.Filename!, bytes, contentType);
            if (attachment.ContentId is not null)
            {
                MakeInline(builder, entity, attachment.ContentId);
            }
        }

        return builder.ToMessageBody();
    }

    /// <summary>
    /// Moves an attachment to the related parts, referenced from the HTML by its Content-ID.
    /// MimeKit's <c>LinkedResources.Add</c> would also make a Content-Location of the file name and
    /// threw on a name that is not a relative URI ("a:b"): a 500 for a legitimate file name.
    /// </summary>
    private static void MakeInline(BodyBuilder builder, MimeEntity entity, string contentId)
    {
        builder.Attachments.Remove(entity);
        entity.ContentDisposition ??= new ContentDisposition();
        entity.ContentDisposition.Disposition = ContentDisposition.Inline;
        entity.ContentId = contentId;
        if (entity is MimePart { FileName: { } name } && Uri.TryCreate(name, UriKind.Relative, out var location))
        {
            entity.ContentLocation = location;
        }

        builder.LinkedResources.Add(entity);
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
