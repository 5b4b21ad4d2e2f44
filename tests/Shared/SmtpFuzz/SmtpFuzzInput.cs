using System.Text;

namespace SendApi.Tests.SmtpFuzz;

/// <summary>
/// Makes the bytes of one fuzzed SMTP session from a seed: real commands (so the session gets past
/// EHLO, AUTH, MAIL and into DATA now and then), mutated with long lines, NULs, bare CR/LF, 8-bit
/// and invalid UTF-8, odd parameters and addresses, and odd line ends that glue lines together.
/// Shared by the engine's fuzz (unit tests, a recording handler) and the application's (integration
/// tests, the real handlers behind the real listeners).
/// </summary>
/// <param name="authenticate">Whether the listener takes AUTH, so the happy path logs in before MAIL.</param>
/// <param name="vocabulary">The password, addresses and bodies of the application under test.</param>
internal sealed class SmtpFuzzInput(int seed, bool authenticate, SmtpFuzzVocabulary vocabulary)
{
    private readonly string _plain = Plain(vocabulary.Password);

    private static readonly string[] GenericCommands =
    [
        "EHLO client.test", "HELO client.test", "EHLO [127.0.0.1]", "EHLO", "ehlo   spaced.test  ",
        "MAIL FROM:<alice@example.test>", "MAIL FROM:<>", "MAIL FROM: <alice@example.test>", "MAIL FROM:alice@example.test",
        "MAIL FROM:<alice@example.test> SIZE=100 BODY=8BITMIME", "MAIL FROM:<ü@bücher.test> SMTPUTF8", "MAIL FROM:<a@b.test> AUTH=<>",
        "RCPT TO:<bob@example.test>", "RCPT TO:<postmaster>", "RCPT TO:<\"quoted local\"@example.test>", "RCPT TO:<unknown@example.test>",
        "RCPT TO:<@relay.test,@other.test:carol@example.test>", "RCPT TO:<bob@[127.0.0.1]>", "RCPT TO:<bob@[IPv6:::1]>",
        "DATA", "RSET", "NOOP", "NOOP with arguments", "VRFY bob", "VRFY", "HELP", "HELP MAIL", "EXPN staff", "BDAT 10 LAST", "ETRN x",
        "AUTH PLAIN", "AUTH PLAIN AGFwaWtleQB3cm9uZw==", "AUTH LOGIN", "AUTH LOGIN YXBpa2V5",
        "YXBpa2V5", "*", "=", "AUTH CRAM-MD5", "AUTH", "Subject: hello", "", " ", ".", "..",
    ];

    /// <summary>Each ends or upsets a session; kept rare so most sessions run long.</summary>
    private static readonly string[] Rare = ["STARTTLS", "QUIT", "GET / HTTP/1.1", "POST /messages HTTP/1.1", "STARTTLS extra"];

    private static readonly string[] Parameters =
    [
        " " + new string('X', 479), " " + new string('_', 479), " " + new string('é', 235), " SIZE=" + new string('9', 470),
        " SIZE=-1", " SIZE=99999999999999999999999", " SIZE=", " SIZE", " BODY=", " BODY=BINARYMIME", " SMTPUTF8=yes",
        " X-=", " =", " =x", " -X=1", " SIZE=1 SIZE=2", " RET=HDRS ENVID=x", " NOTIFY=NEVER ORCPT=rfc822;a@b", " AUTH=",
        " " + string.Concat(Enumerable.Repeat("P=1 ", 60)),
    ];

    private static readonly string[] GenericAddresses =
    [
        "<<a@b.test>>", "<a@b.test", "a@b.test>", "<>", "<@a,@b:c@d.test>", "<\"a\\\"b\"@c.test>", "<\"unterminated@c.test>",
        "<a@[999.0.0.1]>", "<a@[IPv6:zz]>", "<a@-b.test>", "<a..b@c.test>", "<.a@c.test>", "<a@c..test>", "<a@>", "<@>",
        "<" + new string('l', 300) + "@x.test>", "<a@" + new string('d', 300) + ".test>", "<é@é.test>", "<a b@c.test>",
    ];

    private static readonly byte[][] Noise =
    [
        [0], [(byte)'\r'], [(byte)'\n'], [(byte)'\n', (byte)'\r'], [0x80], [0xFF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98, 0x80],
        [0xC3, 0xA9], [0xED, 0xA0, 0x80], [0x1B], [0x7F], [(byte)'\t'], [(byte)'<'], [(byte)'>'], [(byte)':'], [(byte)'='],
    ];

    private static readonly string[] GenericBodyLines = ["Subject: fuzz", "", ".", "..", ".hidden", "body text", "QUIT", new string('b', 1001), "x\0y", "héllo"];

    private readonly Random _random = new(seed);

    private readonly string[] _commands = [.. GenericCommands, "AUTH PLAIN " + Plain(vocabulary.Password), Plain(vocabulary.Password),
        .. vocabulary.Recipients.Concat(vocabulary.OddRecipients).Select(r => $"RCPT TO:<{r}>"), .. vocabulary.Senders.Select(s => $"MAIL FROM:<{s}>")];

    private readonly string[] _addresses = [.. GenericAddresses, .. vocabulary.Addresses];

    private readonly string[] _bodyLines = [.. GenericBodyLines, .. vocabulary.Bodies];

    /// <summary>
    /// The session's bytes: <paramref name="lines"/> lines, each with its (usually CRLF) ending. About
    /// half follow a real transaction (EHLO, AUTH, MAIL, RCPT, DATA, body, "."), now and then mutated,
    /// so the fuzzing also reaches the states behind them instead of stopping at the first 503.
    /// </summary>
    public byte[] Session(int lines)
    {
        var bytes = new List<byte>();
        var script = HappyPath().GetEnumerator();
        for (var i = 0; i < lines; i++)
        {
            if (_random.Next(2) == 0 && script.MoveNext())
            {
                var line = Encoding.UTF8.GetBytes(script.Current).ToList();
                if (_random.Next(8) == 0)
                {
                    Mutate(line);
                }

                bytes.AddRange(line);
            }
            else
            {
                bytes.AddRange(Line());
            }

            bytes.AddRange(LineEnd());
        }

        return [.. bytes];
    }

    /// <summary>Cuts <paramref name="bytes"/> into writes of random sizes, so lines arrive split and batched.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] bytes)
    {
        for (var at = 0; at < bytes.Length;)
        {
            var size = Math.Min(bytes.Length - at, _random.Next(3) switch { 0 => _random.Next(1, 8), 1 => _random.Next(8, 200), _ => _random.Next(200, 4000) });
            yield return bytes.AsMemory(at, size);
            at += size;
        }
    }

    private IEnumerable<string> HappyPath()
    {
        while (true)
        {
            yield return _random.Next(3) == 0 ? "HELO client.test" : "EHLO client.test";
            if (authenticate)
            {
                yield return "AUTH PLAIN " + _plain;
            }

            yield return $"MAIL FROM:<{Pick(vocabulary.Senders)}>" + (_random.Next(3) == 0 ? Pick(Parameters) : "");
            for (var n = _random.Next(1, 4); n > 0; n--)
            {
                yield return $"RCPT TO:<{(_random.Next(4) == 0 ? Pick(vocabulary.OddRecipients) : Pick(vocabulary.Recipients))}>";
            }

            yield return "DATA";
            for (var n = _random.Next(6); n > 0; n--)
            {
                yield return Pick(_bodyLines);
            }

            yield return ".";
            if (_random.Next(2) == 0)
            {
                yield return "RSET";
            }
        }
    }

    private List<byte> Line()
    {
        var text = _random.Next(40) == 0 ? Pick(Rare) : Pick(_commands);
        if (_random.Next(4) == 0)
        {
            text += Pick(Parameters);
        }

        if (_random.Next(6) == 0 && text.IndexOf('<') is var open and >= 0)
        {
            var close = text.IndexOf('>', open);
            text = text[..open] + Pick(_addresses) + (close < 0 ? "" : text[(close + 1)..]);
        }

        if (_random.Next(8) == 0)
        {
            text = _random.Next(2) == 0 ? text.ToLowerInvariant() : text.ToUpperInvariant();
        }

        var line = Encoding.UTF8.GetBytes(text).ToList();
        for (var mutations = _random.Next(4) == 0 ? _random.Next(1, 4) : 0; mutations > 0; mutations--)
        {
            Mutate(line);
        }

        return line;
    }

    private void Mutate(List<byte> line)
    {
        switch (_random.Next(7))
        {
            case 0: // noise: NUL, bare CR/LF, 8-bit, broken UTF-8
                line.InsertRange(_random.Next(line.Count + 1), Pick(Noise));
                break;
            case 1 when line.Count > 0: // cut a piece out
                var from = _random.Next(line.Count);
                line.RemoveRange(from, _random.Next(line.Count - from + 1));
                break;
            case 2 when line.Count > 0: // repeat a piece
                var start = _random.Next(line.Count);
                line.InsertRange(start, line.GetRange(start, _random.Next(line.Count - start + 1)));
                break;
            case 3: // around the command-line and AUTH-line limits, or far past them, often as a parameter of its own
                var length = Pick([500, 509, 510, 511, 512, 1000, 1001, 12284, 12286, 12287, 20000]);
                var filler = (byte)Pick("xA=<\"é"u8.ToArray());
                if (_random.Next(2) == 0)
                {
                    line.Add((byte)' ');
                }

                while (line.Count < length)
                {
                    line.Add(filler);
                }

                break;
            case 4: // random bytes
                for (var n = _random.Next(1, 20); n > 0; n--)
                {
                    line.Insert(_random.Next(line.Count + 1), (byte)_random.Next(256));
                }

                break;
            case 5: // spaces and tabs where none are expected
                line.Insert(_random.Next(line.Count + 1), _random.Next(2) == 0 ? (byte)' ' : (byte)'\t');
                break;
            default: // a second command glued on
                line.AddRange(Encoding.UTF8.GetBytes(" " + Pick(_commands)));
                break;
        }
    }

    private byte[] LineEnd() => _random.Next(50) switch
    {
        0 => "\n"u8.ToArray(),
        1 => "\r"u8.ToArray(),
        2 => "\n\r"u8.ToArray(),
        3 => [],
        4 => "\r\r\n"u8.ToArray(),
        _ => "\r\n"u8.ToArray(),
    };

    /// <summary>The base64 of an AUTH PLAIN response (RFC 4616) logging in with <paramref name="password"/>.</summary>
    private static string Plain(string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes("\0apikey\0" + password));

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
