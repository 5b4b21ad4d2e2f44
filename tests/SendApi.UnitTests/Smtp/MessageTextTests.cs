using System.Text;
using SendApi.Smtp;

namespace SendApi.UnitTests.Smtp;

/// <summary>The text rules a whole message is held to over HTTP, the same DATA applies while streaming.</summary>
public sealed class MessageTextTests
{
    [Theory]
    [InlineData("Subject: a\r\n\r\nbody\r\n")]
    [InlineData("Subject: a\r\n\r\nno final line break")]
    [InlineData("")]
    public void Crlf_text_passes(string text) => Assert.Equal(MessageTextProblem.None, MessageText.Check(Encoding.ASCII.GetBytes(text)));

    [Theory]
    [InlineData("Subject: a\n\nbody\n")]
    [InlineData("Subject: a\r\n\r\nbody\n.\nMAIL FROM:<x@y>\r\n")]
    [InlineData("Subject: a\r\n\r\nbody\r.\r\n")]
    [InlineData("Subject: a\r\n\r\nbo\0dy\r\n")]
    [InlineData("Subject: a\r\n\r\nends in a bare CR\r")]
    public void A_bare_cr_or_lf_or_a_nul_is_refused(string text) =>
        Assert.Equal(MessageTextProblem.BareNewline, MessageText.Check(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void A_line_of_1000_octets_with_its_crlf_passes_and_one_more_is_refused()
    {
        Assert.Equal(MessageTextProblem.None, MessageText.Check(Encoding.ASCII.GetBytes(new string('a', 998) + "\r\n")));
        Assert.Equal(MessageTextProblem.LineTooLong, MessageText.Check(Encoding.ASCII.GetBytes("x\r\n" + new string('a', 999) + "\r\n")));
        Assert.Equal(MessageTextProblem.LineTooLong, MessageText.Check(Encoding.ASCII.GetBytes(new string('a', 999))));
    }
}
