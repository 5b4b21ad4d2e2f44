using SendApi.Delivery.Diagnostics;

namespace SendApi.UnitTests.Diagnostics;

public sealed class MxHopTests
{
    [Theory]
    [InlineData("mx1.example.com[192.0.2.1]:25 Tls13", "mx1.example.com", "192.0.2.1", true)]
    [InlineData("mx1.example.com[192.0.2.1]:25", "mx1.example.com", "192.0.2.1", false)]
    [InlineData("mx.example.net[2001:db8::1]:25 Tls12", "mx.example.net", "2001:db8::1", true)]
    [InlineData("capture", "capture", null, false)]
    [InlineData(null, null, null, false)]
    public void The_timeline_via_gives_the_log_its_host_address_and_tls(string? via, string? host, string? address, bool tls)
    {
        Assert.Equal(new MxHop(host, address, tls), MxHop.Parse(via));
    }
}
