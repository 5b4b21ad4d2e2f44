namespace SendApi.Smtp;

/// <summary>What is wrong with a message's text, by the rules SMTP holds DATA to.</summary>
public enum MessageTextProblem
{
    None,

    /// <summary>A bare CR, a bare LF or a NUL: possible SMTP smuggling, and never normalised.</summary>
    BareNewline,

    /// <summary>A line over <see cref="MessageText.MaxTextLine"/> octets with its CRLF.</summary>
    LineTooLong,
}

/// <summary>
/// The text rules of a message, whichever way it comes in: SMTP's DATA (<see cref="DataReader"/>,
/// which applies them while it streams) and a message submitted whole over HTTP
/// (<see cref="Check"/>). Only a CRLF ends a line; a bare CR or LF (or a NUL) is refused rather
/// than normalised, so that no two parsers can see different messages (CVE-2023-51764 and relatives).
/// </summary>
public static class MessageText
{
    /// <summary>RFC 5321 §4.5.3.1.6: 1000 octets including CRLF, not counting a transparency dot.</summary>
    public const int MaxTextLine = 1000;

    /// <summary>The bytes that need a look: CR and LF (only together are they a line break) and NUL.</summary>
    public static ReadOnlySpan<byte> Specials => "\r\n\0"u8;

    /// <summary>The first problem of a whole message, as DATA would have found it.</summary>
    public static MessageTextProblem Check(ReadOnlySpan<byte> message)
    {
        var tooLong = false;
        while (!message.IsEmpty)
        {
            var next = message.IndexOfAny(Specials);
            var lineEnd = next < 0 ? message.Length : next;
            if (next >= 0 && (message[next] != (byte)'\r' || next + 1 >= message.Length || message[next + 1] != (byte)'\n'))
            {
                return MessageTextProblem.BareNewline;
            }

            tooLong |= lineEnd + 2 > MaxTextLine;
            message = next < 0 ? [] : message[(next + 2)..];
        }

        return tooLong ? MessageTextProblem.LineTooLong : MessageTextProblem.None;
    }
}
