using MimeKit;
using SendApi.Core.Capture;
using SendApi.Core.Inbound;
using SendApi.Inbound;

namespace SendApi.Api.Features.Captured;

/// <summary>
/// What the API and the page read from a capture: the record, and the detail parsed from the
/// exact bytes (the same reader as inbound mail, so text, HTML and attachments mean the same).
/// </summary>
internal static class CapturedMail
{
    public static async Task<(CapturedDetail Detail, byte[] Raw)?> ReadAsync(ICaptureStore store, CaptureScope scope, string id, CancellationToken cancellationToken)
    {
        if (!CaptureIds.IsValid(id)
            || await store.FindAsync(scope, id, cancellationToken) is not { } captured
            || await store.GetRawAsync(scope, id, cancellationToken) is not { } raw)
        {
            return null;
        }

        using var message = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken);
        var read = InboundMailReader.Read(message, captured.Id, captured.AccountId, captured.CapturedAt,
            new InboundEnvelope(captured.Envelope.MailFrom, captured.Envelope.RcptTo, RemoteIp: null, Helo: null, Tls: false), raw.Length, autoReply: false);
        var detail = new CapturedDetail(
            captured.Id,
            captured.CapturedAt,
            captured.MessageId,
            captured.AccountId,
            captured.Envelope,
            Address(read.From),
            [.. read.To.Select(Address).OfType<CapturedAddress>()],
            [.. read.Cc.Select(Address).OfType<CapturedAddress>()],
            [.. read.ReplyTo.Select(Address).OfType<CapturedAddress>()],
            read.Subject,
            read.Date,
            read.MessageId,
            captured.Size,
            read.Text is not null,
            read.Html is not null,
            read.Attachments.Count,
            read.Text,
            read.Html,
            // The top-level part's Content-* headers are part of the message's header block too.
            [.. read.Headers, .. message.Body?.Headers.Select(h => new InboundHeader(h.Field, h.Value.Trim())) ?? []],
            read.Attachments);
        return (detail, raw);
    }

    /// <summary>An attachment's decoded content and description; null when the capture or the index is unknown.</summary>
    public static async Task<(byte[] Content, InboundAttachment Description)?> AttachmentAsync(
        ICaptureStore store, CaptureScope scope, string id, int index, CancellationToken cancellationToken)
    {
        if (!CaptureIds.IsValid(id) || await store.GetRawAsync(scope, id, cancellationToken) is not { } raw)
        {
            return null;
        }

        using var message = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken);
        var attachments = InboundMailReader.Attachments(message);
        if (index < 0 || index >= attachments.Count)
        {
            return null;
        }

        var (part, description) = attachments[index];
        using var content = new MemoryStream();
        InboundMailReader.WriteContent(part, content);
        return (content.ToArray(), description);
    }

    /// <summary>The download name: the part's own, else one made from its index, so that it is always served as a download.</summary>
    public static string FileName(InboundAttachment attachment) =>
        string.IsNullOrWhiteSpace(attachment.Filename) ? $"attachment-{attachment.Index}" : attachment.Filename;

    /// <summary>
    /// Captured bytes and attachments are the senders' content: served only as downloads that
    /// cannot run in our origin, whatever their declared type, and that no cache keeps.
    /// </summary>
    public static void ProtectDownload(Microsoft.AspNetCore.Http.HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
    }

    private static CapturedAddress? Address(InboundAddress? address) =>
        address is null ? null : new CapturedAddress(address.Name, address.Address);
}
