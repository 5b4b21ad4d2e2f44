namespace SendApi.Api.Features.Templates;

/// <summary>
/// A first pass over a template's <c>{{…}}</c> tags, before Handlebars.Net sees it: it refuses
/// what a stored, untrusted template must not do (partials, inline partials and decorators, which
/// could recurse; raw blocks), bounds block and subexpression nesting (the compiler recurses on
/// them), pairs block tags so that an unclosed one is reported where it opens, and counts tags
/// for the render budget. Handlebars.Net reports a position for few of its errors; these it
/// reports with the position of the offending tag.
/// </summary>
internal static class TemplateTags
{
    public const int MaxBlockDepth = 16;
    public const int MaxSubexpressionDepth = 8;

    /// <summary>One tag: its offset in the source, its text between the braces, and the block it opens (#name) if any.</summary>
    public sealed record Tag(int Offset, string Inner, string? Opens);

    /// <summary>The tags, or the first problem at its offset.</summary>
    public static (IReadOnlyList<Tag> Tags, (int Offset, string Message)? Problem) Scan(string source, int maxTags)
    {
        var tags = new List<Tag>();
        var open = new Stack<(string Name, int Offset)>();
        var i = 0;
        while ((i = source.IndexOf("{{", i, StringComparison.Ordinal)) >= 0)
        {
            // \{{ is literal text in Handlebars.
            if (i > 0 && source[i - 1] == '\\')
            {
                i += 2;
                continue;
            }

            if (string.CompareOrdinal(source, i, "{{{{", 0, 4) == 0)
            {
                return (tags, (i, "raw blocks ({{{{ }}}}) are not supported."));
            }

            var (close, closer) = string.CompareOrdinal(source, i, "{{!--", 0, 5) == 0 ? (source.IndexOf("--}}", i + 5, StringComparison.Ordinal), 4)
                : string.CompareOrdinal(source, i, "{{{", 0, 3) == 0 ? (source.IndexOf("}}}", i + 3, StringComparison.Ordinal), 3)
                : (source.IndexOf("}}", i + 2, StringComparison.Ordinal), 2);
            if (close < 0)
            {
                return (tags, (i, "this tag is never closed with }}."));
            }

            var start = i + (closer == 3 ? 3 : 2);
            var inner = source[start..close];
            var offset = i;
            i = close + closer;
            if (inner.StartsWith('!'))
            {
                continue;
            }

            var body = inner.TrimStart('~', ' ', '\t', '\r', '\n', '&');
            if (body.StartsWith('>') || body.StartsWith('*') || body.StartsWith("#>", StringComparison.Ordinal) || body.StartsWith("#*", StringComparison.Ordinal))
            {
                return (tags, (offset, "partials and decorators ({{> …}}, {{#> …}}, {{#*inline}}) are not supported; a template may use one layout."));
            }

            if (SubexpressionDepth(body) > MaxSubexpressionDepth)
            {
                return (tags, (offset, $"subexpressions nest more than {MaxSubexpressionDepth} deep."));
            }

            string? opens = null;
            if (body.StartsWith('#') || body.StartsWith('^'))
            {
                opens = Name(body[1..]);
                if (opens.Length > 0)
                {
                    open.Push((opens, offset));
                    if (open.Count > MaxBlockDepth)
                    {
                        return (tags, (offset, $"blocks nest more than {MaxBlockDepth} deep."));
                    }
                }
            }
            else if (body.StartsWith('/'))
            {
                var name = Name(body[1..]);
                if (open.Count == 0)
                {
                    return (tags, (offset, $"{{{{/{name}}}}} closes no open block."));
                }

                var (expected, at) = open.Pop();
                if (name != expected)
                {
                    return (tags, (offset, $"{{{{/{name}}}}} closes {{{{#{expected}}}}}, which needs {{{{/{expected}}}}}."));
                }
            }

            tags.Add(new Tag(offset, inner, opens));
            if (tags.Count > maxTags)
            {
                return (tags, (offset, $"a part may hold at most {maxTags} tags (Templates:MaxTags); this is one more."));
            }
        }

        if (open.Count > 0)
        {
            var (name, at) = open.Peek();
            return (tags, (at, $"{{{{#{name}}}}} is never closed with {{{{/{name}}}}}."));
        }

        return (tags, null);
    }

    /// <summary>Line and column (from 1) of <paramref name="offset"/>.</summary>
    public static (int Line, int Column) Position(string source, int offset)
    {
        offset = Math.Clamp(offset, 0, source.Length);
        var line = 1;
        var lineStart = 0;
        for (var k = 0; k < offset; k++)
        {
            if (source[k] == '\n')
            {
                line++;
                lineStart = k + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }

    private static string Name(string afterSigil)
    {
        var text = afterSigil.TrimStart(' ', '\t', '\r', '\n');
        var end = 0;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('~' or '}' or '('))
        {
            end++;
        }

        return text[..end];
    }

    private static int SubexpressionDepth(string inner)
    {
        int depth = 0, max = 0;
        char? quote = null;
        foreach (var c in inner)
        {
            if (quote is { } q)
            {
                quote = c == q ? null : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '(')
            {
                max = Math.Max(max, ++depth);
            }
            else if (c == ')')
            {
                depth--;
            }
        }

        return max;
    }
}
