using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace SendApi.Smtp;

/// <summary>
/// Turns a <see cref="SmtpServerReply"/> into the octets on the wire. Every reply the server sends passes
/// here, so the rules hold whatever the reply echoes (a parameter, an address, a handler's text):
/// no control characters, and no line longer than RFC 5321 §4.5.3.1.5 allows.
/// </summary>
internal static class SmtpReplyWriter
{
    /// <summary>RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets, its CRLF included.</summary>
    public const int MaxLineOctets = 512;

    /// <summary>Marks text that was cut to fit, so a reader knows the reply says more than it shows.</summary>
    private const string Cut = "...";

    // The octets of the replies sent in every transaction (250 Ok, 354, 221, the banner, EHLO),
    // formatted once. Keyed by identity, not by value: a reply a handler builds is never looked up.
    private static readonly ConditionalWeakTable<SmtpServerReply, byte[]> Encoded = new();

    public static void Write(SmtpServerReply reply, IBufferWriter<byte> output)
    {
        if (Encoded.TryGetValue(reply, out var octets))
        {
            output.Write(octets);
            return;
        }

        Encoding.UTF8.GetBytes(Format(reply), output);
    }

    /// <summary>Marks a reply that is sent often and never changes: its octets are formatted now, once.</summary>
    public static SmtpServerReply Fixed(SmtpServerReply reply)
    {
        Encoded.AddOrUpdate(reply, Encoding.UTF8.GetBytes(Format(reply)));
        return reply;
    }

    /// <summary>The reply as it is sent: one or more CRLF-terminated lines.</summary>
    public static string Format(SmtpServerReply reply)
    {
        var lines = reply.Lines.Length == 0 ? [""] : reply.Lines;
        var builder = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            var start = builder.Length;
            builder.Append(reply.Code).Append(i == lines.Length - 1 ? ' ' : '-');
            if (reply.EnhancedCode.Length > 0)
            {
                builder.Append(reply.EnhancedCode).Append(' ');
            }

            // The prefix is ASCII (three digits and an enhanced code), so its length is its octet count.
            AppendText(builder, lines[i], MaxLineOctets - 2 - (builder.Length - start));
            builder.Append("\r\n");
        }

        return builder.ToString();
    }

    /// <summary>
    /// Appends <paramref name="text"/> in at most <paramref name="budget"/> UTF-8 octets, cutting
    /// on a character boundary (never inside a multi-octet sequence) and ending a cut with "...".
    /// </summary>
    private static void AppendText(StringBuilder builder, string text, int budget)
    {
        var fits = Encoding.UTF8.GetByteCount(text) <= budget;
        var limit = fits ? budget : budget - Cut.Length;
        var used = 0;
        Span<char> chars = stackalloc char[2];
        // Runes, not chars: a lone surrogate becomes U+FFFD (3 octets) here exactly as the encoder
        // would write it, so the count is the count of what is sent.
        foreach (var rune in text.EnumerateRunes())
        {
            used += rune.Utf8SequenceLength;
            if (used > limit)
            {
                break;
            }

            // Reply text may carry client or application text; a CR or LF in it would forge an
            // extra reply line, and other control characters have no business on the wire.
            if (Rune.IsControl(rune))
            {
                builder.Append(' ');
            }
            else
            {
                builder.Append(chars[..rune.EncodeToUtf16(chars)]);
            }
        }

        if (!fits)
        {
            builder.Append(Cut);
        }
    }
}
