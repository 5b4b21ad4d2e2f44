namespace SendApi.Inbound;

/// <summary>An RFC 3463 enhanced status code: class.subject.detail.</summary>
internal readonly record struct StatusCode(int Class, int Subject, int Detail)
{
    /// <summary>RFC 3463: subject and detail have at most three digits.</summary>
    private const int MaxDigits = 3;

    private static readonly char[] ClassDigits = ['2', '4', '5'];

    /// <summary>x.0.0 says only "success", "temporary" or "permanent": the diagnostic may say more.</summary>
    public bool IsGeneric => Subject == 0 && Detail == 0;

    public override string ToString() => $"{Class}.{Subject}.{Detail}";

    /// <summary>A Status field: the code, possibly followed by a comment ("5.1.1 (bad destination mailbox)").</summary>
    public static StatusCode? Parse(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.AsSpan().TrimStart();
        return ReadAt(text, 0);
    }

    /// <summary>The first enhanced code in free text, e.g. in <c>550-5.1.1 The email account … does not exist</c>.</summary>
    public static StatusCode? Find(string? text)
    {
        if (text is null)
        {
            return null;
        }

        // One pass, each position looked at a bounded number of times: the text comes from anyone
        // who can reach port 25, so no regex engine that backtracks may read it.
        for (var i = text.IndexOfAny(ClassDigits); i >= 0; i = text.IndexOfAny(ClassDigits, i + 1))
        {
            if (ReadAt(text, i) is { } code)
            {
                return code;
            }
        }

        return null;
    }

    /// <summary>
    /// The code starting exactly at <paramref name="start"/>, or null. Neither part of a longer run
    /// of digits and dots such as an IP address or a version number ("192.0.2.1", "1.2.3.4"): the
    /// character before is no digit or dot, and no digit follows after any dots.
    /// </summary>
    private static StatusCode? ReadAt(ReadOnlySpan<char> text, int start)
    {
        if (start >= text.Length || text[start] is not ('2' or '4' or '5')
            || (start > 0 && (char.IsDigit(text[start - 1]) || text[start - 1] == '.')))
        {
            return null;
        }

        var at = start + 1;
        if (!Dot(text, ref at) || Number(text, ref at) is not { } subject || !Dot(text, ref at) || Number(text, ref at) is not { } detail)
        {
            return null;
        }

        while (at < text.Length && text[at] == '.')
        {
            at++;
        }

        return at < text.Length && char.IsDigit(text[at]) ? null : new StatusCode(text[start] - '0', subject, detail);
    }

    private static bool Dot(ReadOnlySpan<char> text, ref int at)
    {
        if (at < text.Length && text[at] == '.')
        {
            at++;
            return true;
        }

        return false;
    }

    /// <summary>One to three ASCII digits, and no more digits after them.</summary>
    private static int? Number(ReadOnlySpan<char> text, ref int at)
    {
        var value = 0;
        var digits = 0;
        while (at < text.Length && char.IsAsciiDigit(text[at]))
        {
            if (++digits > MaxDigits)
            {
                return null;
            }

            value = (value * 10) + (text[at] - '0');
            at++;
        }

        return digits == 0 ? null : value;
    }
}
