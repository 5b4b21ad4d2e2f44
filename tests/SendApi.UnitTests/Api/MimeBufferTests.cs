using System.Text;
using MimeKit;
using SendApi.Api.Features.Messages;

namespace SendApi.UnitTests.Api;

/// <summary>The pooled buffer a message's MIME is written into at intake (<see cref="MimeBuffer"/>).</summary>
public sealed class MimeBufferTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(100_000)]
    public async Task A_message_larger_or_smaller_than_the_buffer_it_starts_with_is_written_whole(int capacity)
    {
        var message = new MimeMessage { Subject = "s", Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat("line of text\n", 5000)) } };
        message.From.Add(new MailboxAddress("", "a@acme.test"));
        using var expected = new MemoryStream();
        await message.WriteToAsync(StoredForm.Options, expected);

        using var buffer = new MimeBuffer(capacity);
        await message.WriteToAsync(StoredForm.Options, buffer);

        Assert.Equal(expected.ToArray(), buffer.Written.ToArray());
    }

    [Fact]
    public void Its_bytes_cannot_be_read_once_it_went_back_to_the_pool()
    {
        var buffer = new MimeBuffer(64);
        buffer.Write("abc"u8);
        Assert.Equal("abc", Encoding.ASCII.GetString(buffer.Written.Span));

        buffer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => buffer.Written);
        Assert.Throws<ObjectDisposedException>(() => buffer.Write("more"u8));
    }
}
