namespace SendApi.Smtp;

internal readonly record struct SmtpCommand(string Verb, string Arguments);

internal enum PathStatus
{
    Ok,

    /// <summary>Not "FROM:&lt;...&gt;" / "TO:&lt;...&gt;" at all.</summary>
    Syntax,

    BadAddress,
    BadParameter,
}

internal readonly record struct PathArgument(
    PathStatus Status,
    string Path = "",
    IReadOnlyList<KeyValuePair<string, string?>>? Parameters = null,
    string Error = "");

/// <summary>Splits a command line into its verb and arguments, and MAIL/RCPT arguments into path and parameters.</summary>
internal static class SmtpCommandParser
{
    /// <summary>Verbs are case-insensitive; spaces around the arguments are tolerated (people type them).</summary>
    public static SmtpCommand Parse(string line)
    {
        line = line.Trim(' ');
        var space = line.IndexOf(' ');
        return space < 0
            ? new SmtpCommand(line.ToUpperInvariant(), "")
            : new SmtpCommand(line[..space].ToUpperInvariant(), line[(space + 1)..].TrimStart(' '));
    }

    /// <summary>
    /// Parses "FROM:&lt;path&gt; params" (or "TO:..."). The path is returned as given between the
    /// brackets; one or more spaces after the colon are accepted, as many clients send them.
    /// </summary>
    public static PathArgument ParsePath(string arguments, string prefix)
    {
        if (!arguments.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return new PathArgument(PathStatus.Syntax);
        }

        var rest = arguments[prefix.Length..].TrimStart(' ');
        if (rest.Length == 0 || rest[0] != '<')
        {
            return new PathArgument(PathStatus.Syntax);
        }

        var end = FindClosingBracket(rest);
        if (end < 0)
        {
            return new PathArgument(PathStatus.BadAddress, Error: "missing '>'");
        }

        var after = rest[(end + 1)..];
        if (after.Length > 0 && after[0] != ' ')
        {
            return new PathArgument(PathStatus.Syntax);
        }

        var parameters = new List<KeyValuePair<string, string?>>();
        foreach (var parameter in after.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = parameter.IndexOf('=');
            var keyword = equals < 0 ? parameter : parameter[..equals];
            var value = equals < 0 ? null : parameter[(equals + 1)..];
            if (!IsKeyword(keyword) || (value is not null && !IsValue(value)))
            {
                return new PathArgument(PathStatus.BadParameter, Error: $"Bad parameter syntax: {parameter}");
            }

            parameters.Add(new(keyword.ToUpperInvariant(), value));
        }

        return new PathArgument(PathStatus.Ok, rest[1..end], parameters);
    }

    /// <summary>The '&gt;' that closes the path, skipping any inside a quoted local part.</summary>
    private static int FindClosingBracket(string text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '>' when !quoted:
                    return i;
            }
        }

        return -1;
    }

    // RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    private static bool IsKeyword(string keyword) =>
        keyword.Length > 0 && char.IsAsciiLetterOrDigit(keyword[0]) && keyword.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 under RFC 6531.
    private static bool IsValue(string value) =>
        value.Length > 0 && value.All(c => c is > ' ' and < '\x7f' and not '=' || c >= '\xa0');
}
