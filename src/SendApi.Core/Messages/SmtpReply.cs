namespace SendApi.Core.Messages;

/// <summary>
/// A reply from a remote SMTP server, or one we synthesise for failures that never reached a
/// server (DNS, connection): those carry the code a server would have used so that clients can
/// treat both alike (4xx temporary, 5xx permanent). A recipient's state and its events record it;
/// the replies our own SMTP server writes are <c>SendApi.Smtp.SmtpServerReply</c>.
/// </summary>
public sealed record SmtpReply(int Code, string? EnhancedCode, string Text)
{
    public bool IsPositive => Code is >= 200 and < 400;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code >= 500;

    public override string ToString() =>
        EnhancedCode is null ? $"{Code} {Text}" : $"{Code} {EnhancedCode} {Text}";
}
