using System.Globalization;

namespace SendApi.Smtp;

/// <summary>
/// The banner and the HELO/EHLO replies, which are the same on every connection of a server: built
/// and encoded once (<see cref="SmtpReplyWriter.Fixed"/>) rather than on each of the thousands of
/// short connections a submitting MTA opens (one per message is common).
/// </summary>
internal sealed class SmtpGreetings(SmtpServerSettings settings)
{
    // Indexed by what EHLO offers besides the fixed extensions: STARTTLS (1), AUTH (2).
    private readonly SmtpServerReply?[] _ehlo = new SmtpServerReply?[4];

    public SmtpServerReply Banner { get; } = SmtpReplyWriter.Fixed(SmtpServerReplies.Banner(settings.Hostname));

    public SmtpServerReply Helo { get; } = SmtpReplyWriter.Fixed(new SmtpServerReply(250, "", settings.Hostname));

    /// <summary>The EHLO reply; what it offers depends on the session (TLS started, authenticated yet).</summary>
    public SmtpServerReply Ehlo(bool offerStartTls, bool offerAuth)
    {
        var index = (offerStartTls ? 1 : 0) + (offerAuth ? 2 : 0);
        // Two sessions may build the same reply at once; either copy will do.
        return _ehlo[index] ??= SmtpReplyWriter.Fixed(BuildEhlo(offerStartTls, offerAuth));
    }

    private SmtpServerReply BuildEhlo(bool offerStartTls, bool offerAuth)
    {
        List<string> lines = [settings.Hostname, "PIPELINING", $"SIZE {settings.MaxMessageSize.ToString(CultureInfo.InvariantCulture)}", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"];
        if (offerStartTls)
        {
            lines.Add("STARTTLS");
        }

        if (offerAuth)
        {
            lines.Add("AUTH PLAIN LOGIN");
        }

        return new SmtpServerReply(250, "", [.. lines]);
    }
}
