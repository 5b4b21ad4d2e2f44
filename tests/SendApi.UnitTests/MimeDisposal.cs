using MimeKit;

namespace SendApi.UnitTests;

/// <summary>
/// Whether a MimeKit message was disposed. One left undisposed is finalizable, so it and all it
/// holds survive a collection (docs/performance.md, session 13); disposed, its parts' contents can
/// no longer be read.
/// </summary>
internal static class MimeDisposal
{
    public static void AssertDisposed(MimeMessage mime)
    {
        foreach (var part in mime.BodyParts.OfType<MimePart>())
        {
            Assert.False(Readable(part.Content), $"The {part.ContentType.MimeType} part of {mime.MessageId} can still be read: the message was not disposed.");
        }
    }

    /// <summary>A disposed content's stream is gone, or throws when read.</summary>
    private static bool Readable(IMimeContent? content)
    {
        if (content?.Stream is not { } stream)
        {
            return false;
        }

        try
        {
            stream.ReadByte();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}
