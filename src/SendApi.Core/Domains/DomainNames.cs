using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SendApi.Core.Domains;

/// <summary>The one spelling of a domain name used for storing, looking up and signing.</summary>
public static class DomainNames
{
    private const int MaxLength = 253;
    private const int MaxLabelLength = 63;

    /// <summary>
    /// Lower-cased, without a trailing dot, internationalized labels in their ASCII form
    /// (<c>Bücher.Example</c> → <c>xn--bcher-kva.example</c>), which is how DNS and the DKIM
    /// <c>d=</c> tag spell them (RFC 8616). Refuses what is not a host name with at least two
    /// labels: IP addresses, underscores, empty labels, labels over 63 octets.
    /// Look-alike spellings are mapped as IDNA (UTS #46) maps them, so that a name has one
    /// spelling whatever was typed: fullwidth letters (<c>ｒｅｐｌｙ</c>) and other compatibility
    /// forms by NFKC, the ideographic and fullwidth full stops (<c>。．｡</c>) to '.', then
    /// <see cref="IdnMapping"/> (ICU's UTS #46 on Linux). The first two steps are done here as
    /// well so that they hold without ICU (invariant globalization).
    /// </summary>
    public static bool TryNormalize(string? input, [NotNullWhen(true)] out string? name)
    {
        name = null;
        var text = input?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (IsPlainAscii(text))
        {
            // The common case, and UTS #46 maps it to itself lower-cased: ICU's mapping cost 1-2 %
            // of SendApi's CPU per message (every address of every message comes through here).
            return Checked(text.EndsWith('.') ? text[..^1].ToLowerInvariant() : text.ToLowerInvariant(), out name);
        }

        try
        {
            text = text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // Not valid UTF-16 (a lone surrogate): not a name.
            return false;
        }

        text = text.Replace('\u3002', '.').Replace('\uFF0E', '.').Replace('\uFF61', '.');
        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        string ascii;
        try
        {
            // A new mapping each time: IdnMapping's instance members are not documented as thread-safe.
            ascii = new IdnMapping().GetAscii(text).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return false;
        }

        return Checked(ascii, out name);
    }

    private static bool Checked(string ascii, [NotNullWhen(true)] out string? name)
    {
        name = null;
        if (ascii.Length > MaxLength)
        {
            return false;
        }

        // The labels walked as ranges of the name: no array and no string per label, for every address of every message.
        var span = ascii.AsSpan();
        var count = 0;
        var last = Range.All;
        foreach (var label in span.Split('.'))
        {
            if (!IsLabel(span[label]))
            {
                return false;
            }

            count++;
            last = label;
        }

        if (count < 2 || !span[last].ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        name = ascii;
        return true;
    }

    /// <summary>
    /// Letters, digits, '-' and '.' only, and no label in ACE form ("xn--…", which IdnMapping
    /// checks decodes to a valid name): such a name needs neither NFKC nor IDNA mapping.
    /// </summary>
    private static bool IsPlainAscii(string text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            {
                return false;
            }
        }

        return !text.Contains("xn--", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsLabel(ReadOnlySpan<char> label) =>
        label.Length is > 0 and <= MaxLabelLength
        && label[0] != '-' && label[^1] != '-'
        && !label.ContainsAnyExcept(LabelCharacters);

    // Checked per address on every message (sender, From, recipients): a span search, not a LINQ walk.
    private static readonly SearchValues<char> LabelCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");
}
