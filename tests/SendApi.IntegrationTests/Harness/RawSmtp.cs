using System.Text;

namespace SendApi.IntegrationTests.Harness;

/// <summary>A few lines of SMTP by hand, for what no well-behaved client would send.</summary>
internal sealed class RawSmtp(Stream stream)
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8, false, 1024, leaveOpen: true);

    public async Task WriteAsync(string text)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        await stream.FlushAsync();
    }

    public async Task<string> ReadReplyAsync()
    {
        var lines = new StringBuilder();
        while (await _reader.ReadLineAsync() is { } line)
        {
            lines.AppendLine(line);
            if (line.Length < 4 || line[3] == ' ')
            {
                break;
            }
        }

        return lines.ToString();
    }

    public async Task<string> CommandAsync(string command, string expectedCode)
    {
        await WriteAsync(command + "\r\n");
        var reply = await ReadReplyAsync();
        Assert.True(reply.StartsWith(expectedCode, StringComparison.Ordinal), $"{command} → {reply}");
        return reply;
    }
}
