using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

/// <summary>
/// Checks a fixture's bounce in full — every recipient with every field, and the identifiers of
/// the original — so that a table row states all that a receiver's report says.
/// </summary>
internal static class ExpectedBounce
{
    public static void AssertRead(string fixture, Bounce expected)
    {
        var bounce = Fixtures.Classify(fixture).As<Bounce>();

        Assert.Equal(expected.IsRfc3464, bounce.IsRfc3464);
        Assert.Equal(expected.Recipients, bounce.Recipients);
        Assert.Equal(expected.Original.MessageId, bounce.Original.MessageId);
        Assert.Equal(expected.Original.ReturnPath, bounce.Original.ReturnPath);
        Assert.Equal(expected.Original.To, bounce.Original.To);
    }
}
