namespace SendApi.Smtp;

/// <summary>
/// The engine's fixed replies. Enhanced status codes (RFC 2034/3463) exist only for the 2xx, 4xx and
/// 5xx classes, so the banner, the EHLO/HELO replies, 334 challenges and 354 carry none.
/// </summary>
/// <remarks>
/// A reply that echoes what the client sent puts the echo last: <see cref="SmtpReplyWriter"/> cuts a
/// line longer than 512 octets at its end, so what gets cut is the client's text, never ours.
/// </remarks>
internal static class SmtpServerReplies
{
    public static readonly SmtpServerReply Ok = SmtpReplyWriter.Fixed(new(250, "2.0.0", "Ok"));
    public static readonly SmtpServerReply SenderOk = SmtpReplyWriter.Fixed(new(250, "2.1.0", "Ok"));
    public static readonly SmtpServerReply RecipientOk = SmtpReplyWriter.Fixed(new(250, "2.1.5", "Ok"));
    public static readonly SmtpServerReply StartData = SmtpReplyWriter.Fixed(new(354, "", "End data with <CR><LF>.<CR><LF>"));
    public static readonly SmtpServerReply Bye = SmtpReplyWriter.Fixed(new(221, "2.0.0", "Bye"));
    public static readonly SmtpServerReply CannotVerify = new(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
    public static readonly SmtpServerReply Help = new(214, "2.0.0",
        "Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT",
        "Send EHLO first; see RFC 5321");

    public static readonly SmtpServerReply ReadyForTls = new(220, "2.0.0", "Ready to start TLS");
    public static readonly SmtpServerReply TlsNotAvailable = new(454, "4.7.0", "TLS not available");
    public static readonly SmtpServerReply AlreadyTls = new(503, "5.5.1", "Error: TLS already active");

    public static readonly SmtpServerReply AuthSucceeded = new(235, "2.7.0", "Authentication successful");
    public static readonly SmtpServerReply AuthInvalid = new(535, "5.7.8", "Authentication credentials invalid");
    public static readonly SmtpServerReply AuthTemporaryFailure = new(454, "4.7.0", "Temporary authentication failure");
    public static readonly SmtpServerReply AuthCancelled = new(501, "5.0.0", "Authentication cancelled");
    public static readonly SmtpServerReply AuthMalformed = new(501, "5.5.2", "Error: malformed authentication response");
    public static readonly SmtpServerReply AuthRequired = new(530, "5.7.0", "Authentication required");
    public static readonly SmtpServerReply AuthNeedsEncryption = new(538, "5.7.11", "Encryption required for requested authentication mechanism");
    public static readonly SmtpServerReply AuthNotEnabled = new(503, "5.5.1", "Error: authentication not enabled");
    public static readonly SmtpServerReply AlreadyAuthenticated = new(503, "5.5.1", "Error: already authenticated");
    public static readonly SmtpServerReply AuthInTransaction = new(503, "5.5.1", "Error: AUTH not permitted during a mail transaction");
    public static readonly SmtpServerReply UnknownMechanism = new(504, "5.5.4", "Unrecognized authentication type");
    public static readonly SmtpServerReply TooManyAuthFailures = new(421, "4.7.0", "Too many authentication failures");

    public static readonly SmtpServerReply TooManyConnections = new(421, "4.7.0", "Too many connections from your address");
    public static readonly SmtpServerReply TooManyRecipients = new(452, "4.5.3", "Too many recipients");
    public static readonly SmtpServerReply SizeExceeded = new(552, "5.3.4", "Message size exceeds fixed maximum message size");
    public static readonly SmtpServerReply LineExceeded = new(552, "5.6.0", "Message contains a line longer than 1000 octets");
    public static readonly SmtpServerReply Smuggling = new(550, "5.5.2", "Message contains a bare CR or LF (SMTP smuggling protection)");
    public static readonly SmtpServerReply LocalError = new(451, "4.3.0", "Error: local error in processing");
    public static readonly SmtpServerReply IdentityUnavailable = new(451, "4.3.0", "Temporary failure identifying your client; try again later");

    public static readonly SmtpServerReply LineTooLong = new(500, "5.5.2", "Line too long");
    public static readonly SmtpServerReply BareNewline = new(500, "5.5.2", "Bare CR or LF not allowed");
    public static readonly SmtpServerReply UnknownCommand = new(500, "5.5.2", "Error: command not recognized");
    public static readonly SmtpServerReply BadSyntax = new(500, "5.5.2", "Error: bad syntax");
    public static readonly SmtpServerReply NoArguments = new(501, "5.5.4", "Syntax error: no arguments allowed");
    public static readonly SmtpServerReply SendHeloFirst = new(503, "5.5.1", "Error: send HELO/EHLO first");
    public static readonly SmtpServerReply NestedMail = new(503, "5.5.1", "Error: nested MAIL command");
    public static readonly SmtpServerReply NeedMail = new(503, "5.5.1", "Error: need MAIL command");
    public static readonly SmtpServerReply NeedRecipients = new(554, "5.5.1", "Error: no valid recipients");
    public static readonly SmtpServerReply TransactionInProgress = new(503, "5.5.1", "Error: MAIL transaction in progress");
    public static readonly SmtpServerReply NonAsciiAddress = new(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter");

    public static SmtpServerReply Banner(string host) => new(220, "", $"{host} ESMTP SendApi");

    public static SmtpServerReply ListenerFull(string host) => new(421, "4.7.0", $"{host} Too many connections, try again later");

    /// <summary>An AUTH challenge: its text is base64 (RFC 4954 §4), and it carries no enhanced code.</summary>
    public static SmtpServerReply Challenge(string base64) => new(334, "", base64);

    public static SmtpServerReply Timeout(string host) => new(421, "4.4.2", $"{host} Error: timeout exceeded");

    public static SmtpServerReply ShuttingDown(string host) => new(421, "4.3.2", $"{host} Service shutting down, try again later");

    public static SmtpServerReply TooManyErrors(string host) => new(421, "4.7.0", $"{host} Error: too many errors");

    public static SmtpServerReply NotHttp(string host) => new(421, "4.7.0", $"{host} Error: this is an SMTP server, not HTTP");

    public static SmtpServerReply Syntax(string usage) => new(501, "5.5.4", $"Syntax: {usage}");

    public static SmtpServerReply BadParameter(string text) => new(501, "5.5.4", text);

    public static SmtpServerReply UnsupportedParameter(string keyword) => new(555, "5.5.4", $"Unsupported parameter {keyword}");

    public static SmtpServerReply BadSender(string why) => new(501, "5.1.7", $"Bad sender address syntax: {why}");

    public static SmtpServerReply BadRecipient(string why) => new(501, "5.1.3", $"Bad recipient address syntax: {why}");
}
