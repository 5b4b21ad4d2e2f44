using MimeKit;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// How an accepted message is written to be stored: with CRLF line ends, the form SMTP carries it
/// in. Delivery sends the stored bytes as they are when MailKit would change nothing
/// (<c>OutgoingBody</c>); stored with the platform's LF, each delivery converted every line back
/// to CRLF while sending, and the intake had first converted a submitted message's CRLF to LF.
/// Its size (the API's <c>size</c>, <c>Messages:MaxSizeBytes</c>) is then the size that goes out.
/// Messages stored earlier with LF line ends are still delivered as before: the verbatim send
/// converts the line ends it finds.
/// </summary>
internal static class StoredForm
{
    public static readonly FormatOptions Options = Create();

    private static FormatOptions Create()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }
}
