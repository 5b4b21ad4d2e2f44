namespace SendApi.Smtp;

/// <summary>AUTH PLAIN and LOGIN (RFC 4954), with per-address failure throttling.</summary>
internal sealed partial class SmtpSession
{
    private static readonly SmtpIdentity HandlerFailed = new("", new object());

    /// <summary>AUTH is offered only where a password can't be sniffed, unless the listener says otherwise.</summary>
    private bool AuthOffered =>
        _profile.OfferAuth && (_tls is not null || _profile.AllowInsecureAuth) && _authIdentity is null;

    private async ValueTask AuthAsync(string arguments)
    {
        if (!_profile.OfferAuth)
        {
            Error(SmtpServerReplies.AuthNotEnabled);
            return;
        }

        if (_authIdentity is not null)
        {
            Error(SmtpServerReplies.AlreadyAuthenticated);
            return;
        }

        if (_heloName is null)
        {
            Error(SmtpServerReplies.SendHeloFirst);
            return;
        }

        if (_transaction is not null)
        {
            Error(SmtpServerReplies.AuthInTransaction);
            return;
        }

        if (_tls is null && !_profile.AllowInsecureAuth)
        {
            Error(SmtpServerReplies.AuthNeedsEncryption);
            return;
        }

        // Locked out: refuse before looking at the credentials, or every new connection would get
        // one more free guess.
        if (await _authFailures.CountAsync(_remote?.Address, _channel.SessionToken) >= _settings.AuthFailuresBeforeDisconnect)
        {
            LockOut();
            return;
        }

        var space = arguments.IndexOf(' ');
        var mechanism = (space < 0 ? arguments : arguments[..space]).ToUpperInvariant();
        var initial = space < 0 ? null : arguments[(space + 1)..].Trim(' ');
        string? userName;
        string? password;
        switch (mechanism)
        {
            case AuthMechanisms.Plain:
                var response = initial ?? await ChallengeAsync("");
                if (response is null)
                {
                    return;
                }

                if (!AuthMechanisms.TryParsePlain(response, out var plainUser, out var plainPassword))
                {
                    Error(SmtpServerReplies.AuthMalformed);
                    return;
                }

                (userName, password) = (plainUser, plainPassword);
                break;
            case AuthMechanisms.Login:
                userName = await LoginFieldAsync(initial, AuthMechanisms.UserNameChallenge);
                password = userName is null ? null : await LoginFieldAsync(null, AuthMechanisms.PasswordChallenge);
                if (password is null)
                {
                    return;
                }

                break;
            case "":
                Error(SmtpServerReplies.Syntax("AUTH mechanism [initial-response]"));
                return;
            default:
                Error(SmtpServerReplies.UnknownMechanism);
                return;
        }

        await VerifyAsync(mechanism, userName!, password);
    }

    /// <summary>One LOGIN field: the initial response or the answer to a challenge, decoded; null when the exchange ended.</summary>
    private async ValueTask<string?> LoginFieldAsync(string? initial, string challenge)
    {
        var response = initial ?? await ChallengeAsync(challenge);
        if (response is null)
        {
            return null;
        }

        if (!AuthMechanisms.TryDecodeText(response, out var text))
        {
            Error(SmtpServerReplies.AuthMalformed);
            return null;
        }

        return text;
    }

    /// <summary>Sends a 334 challenge and reads the answer; null (with the reply written) when it was "*" or unusable.</summary>
    private async ValueTask<string?> ChallengeAsync(string challenge)
    {
        _channel.Write(SmtpServerReplies.Challenge(challenge));
        var line = await _lines.ReadAsync(_channel, authResponse: true);
        switch (line.Status)
        {
            case CommandLineStatus.Closed:
                _closing = true;
                return null;
            case CommandLineStatus.TooLong:
                Error(SmtpServerReplies.LineTooLong);
                return null;
            case CommandLineStatus.BareNewline:
                Error(SmtpServerReplies.BareNewline);
                return null;
            case CommandLineStatus.InvalidUtf8:
                Error(SmtpServerReplies.AuthMalformed);
                return null;
        }

        var text = line.Text.Trim(' ');
        if (text == "*")
        {
            Reply(SmtpServerReplies.AuthCancelled);
            return null;
        }

        return text;
    }

    private async ValueTask VerifyAsync(string mechanism, string userName, string password)
    {
        var identity = await CallHandlerAsync(
            "Authenticate", token => _handler.AuthenticateAsync(_profile, userName, password, token), HandlerFailed);
        if (ReferenceEquals(identity, HandlerFailed))
        {
            Reply(SmtpServerReplies.AuthTemporaryFailure); // our fault, not a wrong password: not counted
            return;
        }

        if (identity is not null)
        {
            _authIdentity = identity;
            SmtpServerLog.AuthSucceeded(_logger, Id, identity.Name, mechanism);
            Reply(SmtpServerReplies.AuthSucceeded);
            return;
        }

        var failures = await _authFailures.RecordFailureAsync(_remote?.Address, _profile.Name, _channel.SessionToken);
        SmtpServerLog.AuthFailed(_logger, Id, mechanism, _remote?.Address, failures);
        if (failures >= _settings.AuthFailuresBeforeDisconnect)
        {
            LockOut();
            return;
        }

        if (failures > _settings.AuthFailuresBeforeDelay)
        {
            // Slows down guessing without holding anything but this connection's own task.
            await _channel.FlushAsync();
            await Task.Delay(_settings.AuthFailureDelay, _time, _channel.SessionToken);
        }

        Reply(SmtpServerReplies.AuthInvalid);
    }

    private void LockOut()
    {
        SmtpServerLog.AuthLockedOut(_logger, Id, _remote?.Address);
        Reply(SmtpServerReplies.TooManyAuthFailures);
        _closing = true;
    }
}
