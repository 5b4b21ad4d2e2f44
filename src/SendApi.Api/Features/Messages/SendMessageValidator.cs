using System.Text.RegularExpressions;
using FluentValidation;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Api.Features.Tracking;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// Everything a request must satisfy before a MIME message is built. Header injection is refused
/// here: no CR or LF may reach a header through any field.
/// </summary>
internal sealed partial class SendMessageValidator : AbstractValidator<SendMessageRequest>
{
    // Headers SendApi writes itself (and every Content-* header, which belongs to the MIME
    // structure); letting a client set them would produce a contradictory message.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
        "Sender", "Return-Path", "Received", "DKIM-Signature",
    };

    public SendMessageValidator(IOptions<MessagesOptions> options, TimeProvider time, IOptions<Templates.TemplatesOptions>? templates = null, TrackingSettings? tracking = null)
    {
        var limits = options.Value;
        tracking ??= new TrackingSettings(Options.Create(new TrackingOptions()));
        var ahead = limits.MaxScheduleAheadValue;

        RuleFor(x => x.ScheduledAt).Custom((text, ctx) =>
        {
            if (text is null)
            {
                return;
            }

            if (!ScheduledTimes.TryParse(text, out var at))
            {
                ctx.AddFailure("must be a date and time as in RFC 3339 with its offset, e.g. 2026-12-01T09:00:00Z.");
                return;
            }

            var now = time.GetUtcNow();
            if (at < now)
            {
                ctx.AddFailure($"is in the past (now is {now:yyyy-MM-ddTHH:mm:ssZ}); leave it out to send at once.");
            }
            else if (at > now + ahead)
            {
                ctx.AddFailure($"is more than {limits.MaxScheduleAhead} ahead (Messages:MaxScheduleAhead); the latest is {now + ahead:yyyy-MM-ddTHH:mm:ssZ}.");
            }
        });

        RuleFor(x => x.From).Custom(CheckAddress);
        RuleForEach(x => x.To).Custom(CheckAddress);
        RuleForEach(x => x.Cc).Custom(CheckAddress);
        RuleForEach(x => x.Bcc).Custom(CheckAddress);
        RuleFor(x => x)
            .Must(x => RecipientCount(x) > 0)
            .WithName("to").OverridePropertyName("to")
            .WithMessage("At least one recipient is required in to, cc or bcc.");
        RuleFor(x => x)
            .Must(x => RecipientCount(x) <= limits.MaxRecipients)
            .OverridePropertyName("to")
            .WithMessage(x => $"At most {limits.MaxRecipients} recipients in total (to + cc + bcc); this message has {RecipientCount(x)}.");

        RuleFor(x => x.ReplyTo).Custom(CheckAddress).When(x => x.ReplyTo is not null);

        RuleFor(x => x.Subject)
            .Must(NoLineBreaks).WithMessage("must not contain CR or LF.")
            .MaximumLength(998);
        RuleFor(x => x)
            .Must(x => x.Text is { IsEmpty: false } || x.Html is { IsEmpty: false })
            .When(x => x.Template is null)
            .OverridePropertyName("text")
            .WithMessage("A body is required: text, html or both.");
        Include(new TemplatedSendRules((templates?.Value ?? new Templates.TemplatesOptions()).MaxVariablesLength));

        // Per-entry checks run on the whole dictionary so that errors are keyed "headers.<name>".
        RuleFor(x => x.Headers).Custom((headers, ctx) =>
        {
            foreach (var header in headers ?? new Dictionary<string, string>())
            {
                if (!HeaderName().IsMatch(header.Key))
                {
                    ctx.AddFailure($"headers.{header.Key}", "Header names are printable ASCII without spaces or ':'.");
                }
                else if (ReservedHeaders.Contains(header.Key) || header.Key.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    ctx.AddFailure($"headers.{header.Key}", $"'{header.Key}' is set by SendApi; use the matching field instead.");
                }

                if (header.Value is null)
                {
                    ctx.AddFailure($"headers.{header.Key}", "Header values must be strings.");
                }
                else if (!NoLineBreaks(header.Value))
                {
                    ctx.AddFailure($"headers.{header.Key}", "Header values must not contain CR or LF.");
                }
                else if (header.Value.Length > 998)
                {
                    ctx.AddFailure($"headers.{header.Key}", "Header values are at most 998 characters.");
                }
            }
        });

        RuleForEach(x => x.Attachments).NotNull().WithMessage("must be an attachment object.");
        RuleForEach(x => x.Attachments).ChildRules(a =>
        {
            a.RuleFor(x => x.Filename).NotEmpty().MaximumLength(255).Must(NoLineBreaks).WithMessage("must not contain CR or LF.");
            a.RuleFor(x => x.Content).NotNull().Must(IsBase64).WithMessage("must be base64.");
            a.RuleFor(x => x.ContentType)
                .Must(t => t is null || (NoLineBreaks(t) && ContentType.TryParse(t, out _)))
                .WithMessage("must be a MIME type such as application/pdf.");
            a.RuleFor(x => x.ContentId)
                .Must(id => id is null || (id.Length is > 0 and <= 200 && ContentId().IsMatch(id)))
                .WithMessage("must be 1-200 characters: letters, digits and !#$%&'*+-/=?^_`{|}~. (an id-left or id-left@id-right, RFC 5322).");
        });

        // Keyed by the first field that asked (or "unsubscribe" when it is the server's default).
        RuleFor(x => x).Custom((x, ctx) =>
        {
            var choice = TrackingOf(x);
            if (tracking.Problem(choice) is { } problem)
            {
                ctx.AddFailure(x.Unsubscribe == true ? "unsubscribe" : x.TrackOpens == true ? "track_opens" : x.TrackClicks == true ? "track_clicks" : "unsubscribe", problem);
            }

            if (tracking.Resolve(choice).Unsubscribe)
            {
                foreach (var name in (x.Headers ?? new Dictionary<string, string>()).Keys.Where(IsUnsubscribeHeader))
                {
                    ctx.AddFailure($"headers.{name}", $"'{name}' is set by SendApi when unsubscribe is on; leave it out, or turn unsubscribe off to send your own.");
                }
            }
        });

        RuleFor(x => x.Tags).Must(t => t is null || t.Count <= MessageRules.MaxTags).WithMessage($"At most {MessageRules.MaxTags} tags.");
        RuleForEach(x => x.Tags).Must(MessageRules.IsValidTag).WithMessage(MessageRules.TagRule);
        RuleFor(x => x.Metadata).Must(m => m is null || m.Count <= MessageRules.MaxMetadataEntries).WithMessage($"At most {MessageRules.MaxMetadataEntries} metadata entries.");
        RuleFor(x => x.Metadata).Custom((metadata, ctx) =>
        {
            foreach (var entry in metadata ?? new Dictionary<string, string>())
            {
                if (!MessageRules.IsValidMetadataKey(entry.Key))
                {
                    ctx.AddFailure($"metadata.{entry.Key}", MessageRules.MetadataKeyRule);
                }

                if (!MessageRules.IsValidMetadataValue(entry.Value))
                {
                    ctx.AddFailure($"metadata.{entry.Key}", MessageRules.MetadataValueRule);
                }
            }
        });
    }

    /// <summary>What the request asks of unsubscribe and tracking.</summary>
    internal static TrackingChoice TrackingOf(SendMessageRequest request) => new(request.Unsubscribe, request.TrackOpens, request.TrackClicks);

    private static bool IsUnsubscribeHeader(string name) =>
        name.Equals("List-Unsubscribe", StringComparison.OrdinalIgnoreCase) || name.Equals("List-Unsubscribe-Post", StringComparison.OrdinalIgnoreCase);

    private static int RecipientCount(SendMessageRequest x) => (x.To?.Count ?? 0) + (x.Cc?.Count ?? 0) + (x.Bcc?.Count ?? 0);

    private static void CheckAddress(string? address, ValidationContext<SendMessageRequest> ctx)
    {
        if (!EmailAddresses.TryParse(address, out _, out var error))
        {
            ctx.AddFailure($"Invalid address: {error}.");
        }
    }

    private static bool NoLineBreaks(string? value) => value is null || value.AsSpan().IndexOfAny('\r', '\n') < 0;

    private static bool IsBase64(string? value) => value is not null && System.Buffers.Text.Base64.IsValid(value);

    // \A and \z, not ^ and $: .NET's $ also matches before a final "\n", which would let a line
    // break through. NonBacktracking: these run on client input.
    [GeneratedRegex(@"\A[!-9;-~]{1,76}\z", RegexOptions.NonBacktracking)]
    private static partial Regex HeaderName();

    // RFC 5322 msg-id parts as dot-atoms: what MimeKit accepts as a Content-ID. Its length is
    // checked apart (NonBacktracking has no lookahead).
    [GeneratedRegex(@"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*(@[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)?\z", RegexOptions.NonBacktracking)]
    private static partial Regex ContentId();
}
