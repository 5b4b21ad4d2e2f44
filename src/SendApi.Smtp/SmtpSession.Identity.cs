namespace SendApi.Smtp;

/// <summary>
/// Who a client is without AUTH (a trusted network). Asked once per connection; when the handler
/// cannot tell (its store is down) the client is neither trusted nor refused: MAIL asks again and,
/// while it still can't tell, answers 451 4.3.0. A 530 there would be permanent, and the
/// submitting MTA would bounce its application's mail instead of retrying it.
/// </summary>
internal sealed partial class SmtpSession
{
    private bool _identityUnknown;

    private async ValueTask IdentifyWithoutAuthAsync()
    {
        var identity = await CallHandlerAsync(
            "IdentifyWithoutAuth", token => _handler.IdentifyWithoutAuthAsync(_profile, _remote, token), HandlerFailed);
        _identityUnknown = ReferenceEquals(identity, HandlerFailed);
        _trustedIdentity = _identityUnknown ? null : identity;
    }

    /// <summary>True when MAIL may go on; false, with 451 written, while the identity still can't be told.</summary>
    private async ValueTask<bool> IdentityKnownAsync()
    {
        if (!_identityUnknown || _authIdentity is not null)
        {
            return true;
        }

        await IdentifyWithoutAuthAsync();
        if (!_identityUnknown)
        {
            return true;
        }

        Reply(SmtpServerReplies.IdentityUnavailable);
        return false;
    }
}
