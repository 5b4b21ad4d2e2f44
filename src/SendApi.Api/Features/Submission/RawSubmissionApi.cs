using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Messages;
using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

/// <summary>
/// <c>POST /messages/raw</c>: a message the client built itself (<c>Content-Type: message/rfc822</c>),
/// as SMTP submission takes it: the same text rules (<see cref="MessageText"/>), parse, SendApi
/// headers and Bcc stripping (<see cref="MimeSubmission"/>), and intake. The envelope, which SMTP
/// gives in MAIL FROM and RCPT TO, comes from <c>X-SendApi-From</c> and <c>X-SendApi-To</c> request
/// headers, or else from the message's own From (or Sender) and To, Cc and Bcc.
/// </summary>
internal static class RawSubmissionApi
{
    public const string ContentType = "message/rfc822";
    public const string FromHeader = "X-SendApi-From";
    public const string ToHeader = "X-SendApi-To";

    private const string Route = "POST /messages/raw";

    internal static async Task<Results<Accepted<SendMessageResponse>, ValidationProblem, ProblemHttpResult>> SendRawAsync(
        HttpContext context, ClaimsPrincipal user, MessageIntake intake, TrackingSettings tracking, IOptions<MessagesOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!MediaTypeHeaderIsRfc822(request.ContentType))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.",
                detail: $"The body is one MIME message as RFC 5322 writes it, with CRLF line breaks ('Content-Type: {ContentType}').");
        }

        var limits = options.Value;
        if (request.ContentLength > limits.MaxSizeBytes)
        {
            return MessagesApi.TooLarge(request.ContentLength.Value, limits.MaxSizeBytes);
        }

        var bytes = await ReadAsync(request.Body, limits.MaxSizeBytes, cancellationToken);
        if (bytes is null)
        {
            return MessagesApi.TooLarge(limits.MaxSizeBytes + 1, limits.MaxSizeBytes);
        }

        if (Invalid(bytes, request.Headers) is { } invalid)
        {
            return invalid;
        }

        var (mime, unparsable) = await MimeSubmission.ParseAsync(new MemoryStream(bytes, writable: false), cancellationToken);
        if (mime is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The message could not be parsed.", detail: unparsable);
        }

        var errors = new Dictionary<string, string[]>();
        var (sender, recipients) = Envelope(request.Headers, mime, limits, errors);
        if (!SubmissionHeaders.TryTake(Carrier(request.Headers), out var overrides, out var optionError))
        {
            errors["headers"] = [optionError];
        }

        var id = MessageIds.New();
        IncomingMessage? message = null;
        if (errors.Count == 0
            && !MimeSubmission.TryPrepare(Route, id, user.AccountId(), time.GetUtcNow(), mime, sender!, recipients, overrides, out message, out var headerError))
        {
            errors["message"] = [headerError];
        }
        else if (message is not null && tracking.Problem(message.Tracking) is { } trackingProblem)
        {
            errors["headers"] = [trackingProblem];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        // The body is the client's message, held to the limit above: what SendApi adds to it
        // (a missing Message-ID or Date) does not count against the client.
        return await intake.AcceptAsync(message! with { Key = user.SendingKey(), SentOctets = bytes.Length }, cancellationToken) switch
        {
            MessageAccepted accepted => Accepted(context, accepted),
            MessageTooLarge tooLarge => MessagesApi.TooLarge(tooLarge.Size, tooLarge.MaxSize),
            SenderDomainNotVerified refused => MessagesApi.NotVerified(refused),
            SenderDomainNotAllowedForKey refused => MessagesApi.NotAllowedForKey(refused),
            IdempotencyKeyReused reused => MessagesApi.KeyReused(reused),
            var other => throw new UnreachableException($"{Route} does not answer {other.GetType().Name}."),
        };
    }

    private static Accepted<SendMessageResponse> Accepted(HttpContext context, MessageAccepted accepted)
    {
        IdempotencyHeaders.MarkReplayed(context, accepted.Replayed);
        return TypedResults.Accepted($"/messages/{accepted.Id}", SendMessageResponse.Of(accepted));
    }

    private static bool MediaTypeHeaderIsRfc822(string? contentType) =>
        contentType is not null
        && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals(ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The body, or null when it is longer than <paramref name="max"/> (a body without a declared length is read only that far).</summary>
    private static async Task<byte[]?> ReadAsync(Stream body, long max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>What SMTP's DATA would have refused, and an Idempotency-Key header that breaks the rule.</summary>
    private static ProblemHttpResult? Invalid(byte[] bytes, IHeaderDictionary headers)
    {
        if (MessagesApi.InvalidKey(headers[SubmissionHeaders.IdempotencyKey].FirstOrDefault()) is { } invalidKey)
        {
            return invalidKey;
        }

        if (bytes.Length == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request has no body.", detail: $"The body is one MIME message ('Content-Type: {ContentType}').");
        }

        return MessageText.Check(bytes) switch
        {
            MessageTextProblem.BareNewline => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The message contains a bare CR or LF.",
                detail: "Every line must end with CRLF, and no CR, LF or NUL may stand alone (SMTP smuggling protection, as on SMTP submission). Convert LF line endings to CRLF (e.g. unix2dos)."),
            MessageTextProblem.LineTooLong => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The message contains a line longer than 1000 octets.",
                detail: $"RFC 5322 limits a line to {MessageText.MaxTextLine} octets with its CRLF; encode long bodies (quoted-printable or base64)."),
            _ => null,
        };
    }

    /// <summary>The envelope: X-SendApi-From / X-SendApi-To when given, otherwise the message's own headers, each address checked as SMTP checks MAIL FROM and RCPT TO.</summary>
    private static (string? Sender, IReadOnlyList<string> Recipients) Envelope(IHeaderDictionary headers, MimeMessage mime, MessagesOptions limits, Dictionary<string, string[]> errors)
    {
        var (senderField, senderText) = headers.ContainsKey(FromHeader)
            ? (FromHeader, headers[FromHeader].ToString())
            : ("From", (mime.Sender ?? mime.From.Mailboxes.FirstOrDefault())?.Address);
        string? sender = null;
        if (senderText is null)
        {
            errors["From"] = [$"The message has no From; give the sender in {FromHeader}."];
        }
        else if (!EmailAddresses.TryParse(senderText, out var mailbox, out var error))
        {
            errors[senderField] = [$"Invalid address: {error}."];
        }
        else
        {
            sender = mailbox.Address;
        }

        var (recipientsField, recipientTexts) = headers.ContainsKey(ToHeader)
            ? (ToHeader, headers[ToHeader].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList())
            : ("To", [.. mime.To.Mailboxes.Concat(mime.Cc.Mailboxes).Concat(mime.Bcc.Mailboxes).Select(m => m.Address)]);
        var recipients = new List<string>();
        foreach (var text in recipientTexts)
        {
            if (EmailAddresses.TryParse(text, out var mailbox, out var error))
            {
                recipients.Add(mailbox.Address);
            }
            else
            {
                errors[recipientsField] = [$"Invalid address: {error}."];
            }
        }

        if (recipientTexts.Count == 0)
        {
            errors[recipientsField] = [$"At least one recipient is required: in {ToHeader}, or in the message's To, Cc or Bcc."];
        }
        else if (recipients.Distinct(StringComparer.OrdinalIgnoreCase).Count() > limits.MaxRecipients)
        {
            errors[recipientsField] = [$"At most {limits.MaxRecipients} recipients (Messages:MaxRecipients)."];
        }

        return (sender, recipients);
    }

    /// <summary>The request's SendApi headers in a header list, so that <see cref="SubmissionHeaders"/> reads them with the rules it reads a message's by.</summary>
    private static MimeMessage Carrier(IHeaderDictionary headers)
    {
        var carrier = new MimeMessage();
        foreach (var (name, values) in headers)
        {
            if (SubmissionHeaders.IsOption(name))
            {
                foreach (var value in values)
                {
                    carrier.Headers.Add(name, value ?? "");
                }
            }
        }

        return carrier;
    }
}
