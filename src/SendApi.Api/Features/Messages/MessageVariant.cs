using MimeKit;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// A body some of a message's recipients receive instead of <see cref="IncomingMessage.Mime"/>:
/// a whole message, rendered for them (a template's per-recipient variables, a personal
/// unsubscribe link). The intake gives it the message's Message-ID and Date, stores its bytes
/// beside the base, and delivery sends and signs it apart from the other bodies.
/// </summary>
/// <param name="Recipients">Indices into <see cref="IncomingMessage.Recipients"/>; each recipient is in at most one variant.</param>
internal sealed record MessageVariant(MimeMessage Mime, IReadOnlyList<int> Recipients);
