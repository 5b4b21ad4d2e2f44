using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MimeKit;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// What an Idempotency-Key is bound to (<see cref="Core.Messages.IIdempotencyKeys"/>): a SHA-256
/// of the route and the request as it was understood. A JSON body is hashed as it was read (the
/// bound request record written out again), so whitespace or escaping a client library changes
/// between retries is not a different request, while any different value is.
/// </summary>
internal static class RequestFingerprint
{
    private static readonly JsonSerializerOptions Canonical = new();

    public static string OfJson<T>(string route, T request) =>
        Hash(route, JsonSerializer.SerializeToUtf8Bytes(request, Canonical));

    /// <summary>A message submitted whole: its envelope and its bytes as they will be stored (before our trace header).</summary>
    public static string OfMime(string route, string sender, IEnumerable<string> recipients, MimeMessage message)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{route}\n{sender}\n{string.Join(",", recipients)}\n"));
        using (var stream = new HashingStream(hash))
        {
            message.WriteTo(FormatOptions.Default, stream);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Hash(string route, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(route + "\n"));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A write-only stream into a hash, so that a message is hashed without a copy of it.</summary>
    private sealed class HashingStream(IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => hash.AppendData(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => hash.AppendData(buffer);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
