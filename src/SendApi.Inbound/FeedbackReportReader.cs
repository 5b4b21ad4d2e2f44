using MimeKit;

namespace SendApi.Inbound;

/// <summary>Reads an ARF report (RFC 5965): the <c>message/feedback-report</c> fields and the quoted original.</summary>
internal static class FeedbackReportReader
{
    /// <summary>The complaint, or null when the report's fields cannot be parsed.</summary>
    public static Complaint? Read(MimeMessage report, MessageFeedbackReport feedback)
    {
        HeaderList fields;
        try
        {
            fields = feedback.Fields;
        }
        catch (FormatException)
        {
            return null;
        }

        var original = OriginalMessageReader.FromParts(report);

        // Original-Mail-From is our envelope sender, so it carries the VERP even when the quoted
        // headers were cut or redacted.
        if (original.ReturnPath is null && DeliveryStatusReader.Address(fields["Original-Mail-From"]) is { } mailFrom)
        {
            original = original with { ReturnPath = mailFrom };
        }

        var recipient = DeliveryStatusReader.Address(fields["Original-Rcpt-To"])
            ?? (original.To.Count == 1 ? original.To[0] : null);

        return new Complaint(
            recipient,
            Trimmed(fields["Feedback-Type"])?.ToLowerInvariant(),
            Trimmed(fields["User-Agent"]),
            Trimmed(fields["Reported-Domain"]),
            Trimmed(fields["Source-IP"]),
            original);
    }

    /// <summary>Short fields: what a report names (a type, a user agent, an address) fits in far less than <see cref="DeliveryStatusReader.MaxFieldLength"/>.</summary>
    private static string? Trimmed(string? value)
    {
        var clean = DeliveryStatusReader.Clean(value);
        return clean is { Length: > 256 } ? clean[..256] : clean;
    }
}
