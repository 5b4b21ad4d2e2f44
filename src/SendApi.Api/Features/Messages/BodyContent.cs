using System.Buffers;
using System.Text;
using System.Text.Json.Serialization;

namespace SendApi.Api.Features.Messages;

/// <remarks>
/// A <c>text</c> or <c>html</c> body, held as the UTF-8 bytes it arrived in and goes out in. As a
/// .NET string a 100 KB body was read into 200 KB of UTF-16 (and copied once more when it spanned
/// two of the request's buffers), then encoded back into UTF-8 for the MIME part: together 40 % of
/// what a 100 KB message allocated, by an allocation profile. A string is made only when something
/// needs one (a template, a test); one given as a string (the compat routes, a rendered template)
/// is kept as well.
/// <para>
/// Two bodies are equal when their UTF-8 is (a test's <c>Assert.Equal("Hi", request.Text)</c>); the
/// hash is the length alone, so that hashing one never reads it all, the cost that made the request
/// compare by identity (<see cref="SendMessageRequest.Equals(SendMessageRequest?)"/>).
/// </para>
/// <para>
/// Remarks, not a summary: Swashbuckle would copy a summary onto <c>text</c> and <c>html</c> in the
/// OpenAPI document, where they are plain strings.
/// </para>
/// </remarks>
[JsonConverter(typeof(BodyContentConverter))]
public sealed class BodyContent : IEquatable<BodyContent>
{
    // Made on first use from the other and then kept (a race makes the same value twice). A body
    // read from JSON may fill only part of its array (_length); one given as a string fills it all.
    private readonly int _length;
    private byte[]? _utf8;
    private string? _text;

    // The array is the shared pool's, to go back to it when the body is no longer needed (Release).
    private bool _pooled;
    private bool _released;

    private BodyContent(byte[] utf8, int length) => (_utf8, _length) = (utf8, length);

    private BodyContent(string text) => (_text, _length) = (text, -1);

    /// <summary>The body as UTF-8.</summary>
    public ReadOnlySpan<byte> Utf8 => Bytes().AsSpan(0, Length(Bytes()));

    /// <summary>The body as UTF-8, for writing it out asynchronously.</summary>
    internal ReadOnlyMemory<byte> Utf8Memory => Bytes().AsMemory(0, Length(Bytes()));

    /// <summary>Its length in UTF-8 bytes.</summary>
    public int Utf8Length => _length >= 0 ? _length : _utf8?.Length ?? Encoding.UTF8.GetByteCount(_text!);

    public bool IsEmpty => _length >= 0 ? _length == 0 : _text!.Length == 0;

    /// <summary>The first <paramref name="length"/> bytes of <paramref name="utf8"/>, which must be valid UTF-8; the array is kept, not copied.</summary>
    internal static BodyContent FromUtf8(byte[] utf8, int length) => new(utf8, length);

    /// <summary>As <see cref="FromUtf8"/>, with an array from <see cref="ArrayPool{T}.Shared"/> that <see cref="Release"/> gives back.</summary>
    internal static BodyContent FromPooledUtf8(byte[] utf8, int length) => new(utf8, length) { _pooled = true };

    /// <summary>
    /// Gives a pooled array back to the pool: only once nothing can read this body any more (not
    /// even the MIME part made from it, whose content is a window on the array). A 100 KB body's
    /// array was one of the two large-object allocations of a 100 KB message. Using the body
    /// afterwards throws rather than read another request's bytes.
    /// </summary>
    internal void Release()
    {
        if (_pooled && !_released && _utf8 is { } array)
        {
            _released = true;
            _utf8 = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>A read-only stream over the UTF-8 bytes, without a copy of them (a MIME part's content).</summary>
    internal MemoryStream OpenRead()
    {
        var bytes = Bytes();
        return new MemoryStream(bytes, 0, Length(bytes), writable: false);
    }

    /// <summary>The body as a string, made on first use.</summary>
    public override string ToString() => _text ??= Encoding.UTF8.GetString(Bytes(), 0, _length);

    public bool Equals(BodyContent? other) =>
        other is not null && (ReferenceEquals(this, other) || (_text is not null && other._text is not null ? _text == other._text : Utf8.SequenceEqual(other.Utf8)));

    public override bool Equals(object? obj) => Equals(obj as BodyContent);

    public override int GetHashCode() => Utf8Length;

    public static implicit operator BodyContent?(string? text) => text is null ? null : new BodyContent(text);

    private byte[] Bytes() =>
        _released ? throw new ObjectDisposedException(nameof(BodyContent), "The body's buffer went back to the pool once its message was stored.")
        : _utf8 ??= Encoding.UTF8.GetBytes(_text!);

    private int Length(byte[] bytes) => _length >= 0 ? _length : bytes.Length;
}
