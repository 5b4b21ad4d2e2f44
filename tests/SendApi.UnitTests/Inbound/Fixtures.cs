using MimeKit;
using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

internal static class Fixtures
{
    public static MimeMessage Load(string name) =>
        MimeMessage.Load(Path.Combine(AppContext.BaseDirectory, "Inbound", "Fixtures", name));

    public static InboundReport Classify(string name, string? envelopeSender = "") =>
        InboundClassifier.Classify(Load(name), envelopeSender);

    public static T As<T>(this InboundReport report) where T : InboundReport =>
        Assert.IsType<T>(report);

    /// <summary>Builds a message from header and body lines, for cases too small to deserve a fixture.</summary>
    public static MimeMessage Parse(string text)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n")));
        return MimeMessage.Load(stream);
    }
}
