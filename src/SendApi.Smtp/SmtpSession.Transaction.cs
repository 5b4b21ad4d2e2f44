using System.Globalization;

namespace SendApi.Smtp;

/// <summary>EHLO/HELO, RSET, and the mail transaction: MAIL, RCPT, DATA.</summary>
internal sealed partial class SmtpSession
{
    private void Hello(string name, bool extended)
    {
        if (name.Length == 0 || name.Any(char.IsControl))
        {
            Error(SmtpServerReplies.Syntax(extended ? "EHLO hostname" : "HELO hostname"));
            return;
        }

        // RFC 5321 §4.1.4: EHLO in the middle of a session is an implicit RSET.
        _heloName = name;
        _transaction = null;
        Reply(extended ? _greetings.Ehlo(offerStartTls: _certificate is not null && _tls is null, offerAuth: AuthOffered) : _greetings.Helo);
    }

    private void Reset(string arguments)
    {
        if (arguments.Length > 0)
        {
            Error(SmtpServerReplies.NoArguments);
            return;
        }

        _transaction = null;
        Reply(SmtpServerReplies.Ok);
    }

    private async ValueTask MailAsync(string arguments)
    {
        if (_heloName is null)
        {
            Error(SmtpServerReplies.SendHeloFirst);
            return;
        }

        if (_transaction is not null)
        {
            Error(SmtpServerReplies.NestedMail);
            return;
        }

        if (!await IdentityKnownAsync())
        {
            return;
        }

        if (_profile.RequireAuth && Identity is null)
        {
            Error(SmtpServerReplies.AuthRequired);
            return;
        }

        var path = SmtpCommandParser.ParsePath(arguments, "FROM:");
        if (PathRefusal(path, "MAIL FROM:<address> [parameters]", SmtpServerReplies.BadSender) is { } badPath)
        {
            Error(badPath);
            return;
        }

        var (eightBit, smtpUtf8, size) = (false, false, (long?)null);
        var seen = new HashSet<string>();
        foreach (var (keyword, value) in path.Parameters!)
        {
            if (!seen.Add(keyword))
            {
                Error(SmtpServerReplies.BadParameter($"Duplicate parameter {keyword}"));
                return;
            }

            switch (keyword)
            {
                case "SIZE" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var declared):
                    if (declared > _settings.MaxMessageSize)
                    {
                        Reply(SmtpServerReplies.SizeExceeded); // RFC 1870 §6.1
                        return;
                    }

                    size = declared;
                    break;
                case "BODY" when value is not null && (value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase)):
                    eightBit = value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase);
                    break;
                case "SMTPUTF8" when value is null:
                    smtpUtf8 = true;
                    break;
                case "AUTH" when value is not null:
                    break; // RFC 4954 §5: the original submitter; we attribute mail to who authenticated.
                case "SIZE" or "BODY" or "SMTPUTF8" or "AUTH":
                    Error(SmtpServerReplies.BadParameter($"Bad value for {keyword}"));
                    return;
                default:
                    Error(SmtpServerReplies.UnsupportedParameter(keyword));
                    return;
            }
        }

        var sender = "";
        if (path.Path.Length > 0)
        {
            switch (MailboxSyntax.Check(path.Path, smtpUtf8, allowPostmaster: false, out sender, out var why))
            {
                case MailboxStatus.Invalid:
                    Error(SmtpServerReplies.BadSender(why));
                    return;
                case MailboxStatus.NeedsSmtpUtf8:
                    Reply(SmtpServerReplies.NonAsciiAddress);
                    return;
            }
        }

        var answer = await AskHandlerAsync("CheckSender", token => _handler.CheckSenderAsync(Info, sender, token), SmtpServerReplies.SenderOk);
        if (answer.Code is >= 200 and < 300)
        {
            _transaction = new Transaction(sender, eightBit, smtpUtf8, size);
        }

        Reply(answer);
    }

    private async ValueTask RecipientAsync(string arguments)
    {
        if (_transaction is null)
        {
            Error(SmtpServerReplies.NeedMail);
            return;
        }

        var path = SmtpCommandParser.ParsePath(arguments, "TO:");
        if (PathRefusal(path, "RCPT TO:<address>", SmtpServerReplies.BadRecipient) is { } badPath)
        {
            Error(badPath);
            return;
        }

        if (path.Parameters!.Count > 0)
        {
            Error(SmtpServerReplies.UnsupportedParameter(path.Parameters[0].Key));
            return;
        }

        if (path.Path.Length == 0)
        {
            Error(SmtpServerReplies.BadRecipient("the null path is not a recipient"));
            return;
        }

        switch (MailboxSyntax.Check(path.Path, _transaction.SmtpUtf8, allowPostmaster: true, out var recipient, out var why))
        {
            case MailboxStatus.Invalid:
                Error(SmtpServerReplies.BadRecipient(why));
                return;
            case MailboxStatus.NeedsSmtpUtf8:
                Reply(SmtpServerReplies.NonAsciiAddress);
                return;
        }

        if (_transaction.Recipients.Count >= _settings.MaxRecipients)
        {
            Reply(SmtpServerReplies.TooManyRecipients);
            return;
        }

        var answer = await AskHandlerAsync("CheckRecipient", token => _handler.CheckRecipientAsync(Info, recipient, token), SmtpServerReplies.RecipientOk);
        if (answer.Code is >= 200 and < 300)
        {
            _transaction.Recipients.Add(recipient);
        }

        Reply(answer);
    }

    private async ValueTask DataAsync(string arguments)
    {
        if (arguments.Length > 0)
        {
            Error(SmtpServerReplies.NoArguments);
            return;
        }

        if (_transaction is null)
        {
            Error(SmtpServerReplies.NeedMail);
            return;
        }

        if (_transaction.Recipients.Count == 0)
        {
            Error(SmtpServerReplies.NeedRecipients);
            return;
        }

        var transaction = _transaction;
        _transaction = null; // whatever happens next, this transaction is over
        Reply(SmtpServerReplies.StartData);

        await using var message = new ChunkedBufferStream();
        switch (await new DataReader(message, _settings.MaxMessageSize).ReadAsync(_channel))
        {
            case DataOutcome.Disconnected:
                SmtpServerLog.DisconnectedInData(_logger, Id);
                _closing = true;
                return;
            case DataOutcome.BareNewline:
                SmtpServerLog.SmugglingAttempt(_logger, Id, _remote);
                Error(SmtpServerReplies.Smuggling);
                return;
            case DataOutcome.TooLarge:
                Reply(SmtpServerReplies.SizeExceeded);
                return;
            case DataOutcome.LineTooLong:
                Reply(SmtpServerReplies.LineExceeded);
                return;
        }

        message.Position = 0;
        var envelope = new SmtpEnvelope(transaction.MailFrom, transaction.Recipients, transaction.EightBitMime, transaction.SmtpUtf8, transaction.DeclaredSize);
        var reply = await CallHandlerAsync("Deliver", token => _handler.DeliverAsync(Info, envelope, message, token), SmtpServerReplies.LocalError);
        Reply(Checked(reply, "Deliver"));
    }

    private sealed record Transaction(string MailFrom, bool EightBitMime, bool SmtpUtf8, long? DeclaredSize)
    {
        public List<string> Recipients { get; } = [];
    }

    /// <summary>
    /// The application's answer to MAIL or RCPT, checked: <paramref name="ok"/> when it has nothing
    /// to say, its refusal (or a local error when it fails) or its own 2xx otherwise.
    /// </summary>
    private async ValueTask<SmtpServerReply> AskHandlerAsync(string stage, Func<CancellationToken, ValueTask<SmtpServerReply?>> call, SmtpServerReply ok) =>
        await CallHandlerAsync(stage, call, SmtpServerReplies.LocalError) is { } answer ? Checked(answer, stage) : ok;

    /// <summary>
    /// The reply to a MAIL or RCPT argument that is not a usable path, or null when it is one: the
    /// two commands refuse syntax and parameters alike and differ in how they name a bad address.
    /// </summary>
    private static SmtpServerReply? PathRefusal(PathArgument path, string usage, Func<string, SmtpServerReply> badAddress) => path.Status switch
    {
        PathStatus.Syntax => SmtpServerReplies.Syntax(usage),
        PathStatus.BadParameter => SmtpServerReplies.BadParameter(path.Error),
        PathStatus.BadAddress => badAddress(path.Error),
        _ => null,
    };
}
