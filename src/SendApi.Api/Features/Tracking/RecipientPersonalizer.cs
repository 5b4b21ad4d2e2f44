using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Api.Features.Messages;
using SendApi.Delivery;

namespace SendApi.Api.Features.Tracking;

/// <summary>
/// The intake's one step for unsubscribe links and tracking: a message that asks for them (or
/// whose server default does) gets one body per recipient, made from the body that recipient
/// would have received (the base, or a variant a template rendered for them), with
/// <list type="bullet">
/// <item>unsubscribe: <c>List-Unsubscribe</c> (the HTTPS one-click URL, and a mailto at the
/// return-path domain when one is set) and <c>List-Unsubscribe-Post: List-Unsubscribe=One-Click</c>
/// (RFC 8058; both are in the DKIM signature's <c>h=</c>);</item>
/// <item>clicks: the HTML parts' http(s) links through <c>/c/{token}</c>; text parts keep theirs;</item>
/// <item>opens: a 1×1 image <c>/o/{token}</c> at the end of the HTML parts.</item>
/// </list>
/// Every other message passes through untouched, at the cost of one check.
/// </summary>
internal sealed class RecipientPersonalizer(TrackingSettings settings, TrackingSigning signing, IOptions<DeliveryOptions> delivery)
{
    private readonly string? _mailtoDomain = delivery.Value.ReturnPathDomain is { Length: > 0 } domain ? domain : null;

    /// <summary>The message with one variant per recipient when it asks for links; as it is otherwise.</summary>
    public async ValueTask<IncomingMessage> PersonalizeAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        var wanted = settings.Resolve(message.Tracking);
        if (!wanted.Any)
        {
            return message;
        }

        var baseUrl = settings.BaseUrl
            ?? throw new InvalidOperationException($"Message {message.Id} asks for {wanted.Fields} without Tracking:BaseUrl: its channel must refuse it (TrackingSettings.Problem).");
        var key = await signing.GetAsync(cancellationToken);

        // Each recipient's body as it stands: the base, or the variant naming it.
        var sourceOf = new MimeMessage[message.Recipients.Count];
        Array.Fill(sourceOf, message.Mime);
        foreach (var variant in message.Variants)
        {
            foreach (var recipient in variant.Recipients)
            {
                sourceOf[recipient] = variant.Mime;
            }
        }

        var written = new Dictionary<MimeMessage, byte[]>(ReferenceEqualityComparer.Instance);
        var variants = new MessageVariant[sourceOf.Length];
        for (var i = 0; i < sourceOf.Length; i++)
        {
            if (!written.TryGetValue(sourceOf[i], out var bytes))
            {
                written[sourceOf[i]] = bytes = await WriteAsync(sourceOf[i], cancellationToken);
            }

            // A copy per recipient: MimeKit has no clone, and parsing our own bytes back is exact.
            var copy = await MimeMessage.LoadAsync(new MemoryStream(bytes, writable: false), cancellationToken);
            Personalize(copy, new Links(baseUrl, key, message.Id, i), wanted);
            variants[i] = new MessageVariant(copy, [i]);
        }

        return message with { Variants = variants };
    }

    private void Personalize(MimeMessage mime, Links links, Personalization wanted)
    {
        if (wanted.Unsubscribe)
        {
            // Ours replace the message's own (an SMTP client's): the suppression list follows ours.
            mime.Headers.RemoveAll(HeaderId.ListUnsubscribe);
            mime.Headers.RemoveAll(HeaderId.ListUnsubscribePost);
            var token = links.Token(TokenKind.Unsubscribe);
            mime.Headers.Add(HeaderId.ListUnsubscribe, _mailtoDomain is null
                ? $"<{links.Url("u", token)}>"
                : $"<{links.Url("u", token)}>, <mailto:{UnsubscribeAddress.LocalPrefix}{token}@{_mailtoDomain}>");
            mime.Headers.Add(HeaderId.ListUnsubscribePost, "List-Unsubscribe=One-Click");
        }

        if (!wanted.Opens && !wanted.Clicks)
        {
            return;
        }

        var pixel = wanted.Opens ? links.Url("o", links.Token(TokenKind.Open)) : null;
        var linkIndex = 0;
        Func<string, string>? tracked = wanted.Clicks ? url => links.Url("c", links.Token(TokenKind.Click, linkIndex++, url)) : null;
        foreach (var part in mime.BodyParts.OfType<TextPart>().Where(p => p.IsHtml && !p.IsAttachment).ToList())
        {
            var html = part.GetText(out var encoding);
            part.SetText(encoding, LinkRewriter.Rewrite(html, tracked, pixel));
        }
    }

    private static async Task<byte[]> WriteAsync(MimeMessage mime, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await mime.WriteToAsync(FormatOptions.Default, buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>One recipient's links.</summary>
    private readonly record struct Links(string BaseUrl, TrackingKey Key, string MessageId, int Recipient)
    {
        public string Token(TokenKind kind, int link = 0, string? url = null) => new TrackingToken(kind, MessageId, Recipient, link, url).Encode(Key);

        public string Url(string route, string token) => $"{BaseUrl}/{route}/{token}";
    }
}
