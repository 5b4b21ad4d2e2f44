using SendApi.Webhooks.Network;

namespace SendApi.UnitTests.Webhooks;

public sealed class WebhookUrlsTests
{
    [Theory]
    [InlineData("https://hooks.example.com/sendapi")]
    [InlineData("http://hooks.example.com:8080/x?token=abc")]
    [InlineData("https://93.184.216.34/hook")]
    [InlineData("https://[2606:4700::1111]/hook")]
    public void Public_http_and_https_urls_are_accepted(string url)
    {
        Assert.Null(WebhookUrls.Problem(url, allowPrivateNetworks: false));
    }

    [Theory]
    [InlineData("ftp://hooks.example.com/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://hooks.example.com/")]
    [InlineData("/relative/path")]
    [InlineData("hooks.example.com/x")]
    public void Only_absolute_http_and_https_urls_are_accepted(string url)
    {
        Assert.Equal("must be an absolute http:// or https:// URL.", WebhookUrls.Problem(url, allowPrivateNetworks: true));
    }

    [Fact]
    public void Credentials_in_the_url_are_refused()
    {
        Assert.Contains("user name or password", WebhookUrls.Problem("https://user:pass@hooks.example.com/", allowPrivateNetworks: true));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/", "loopback")]
    [InlineData("http://localhost/", "loopback")]
    [InlineData("http://api.localhost/", "loopback")]
    [InlineData("http://[::1]/", "loopback")]
    [InlineData("http://[::ffff:10.0.0.1]/", "private")]
    [InlineData("http://10.0.0.1/", "private")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "metadata")]
    [InlineData("http://[fd00:ec2::254]/", "metadata")]
    [InlineData("http://100.64.1.1/", "carrier-grade NAT")]
    [InlineData("http://0.0.0.0/", "unspecified")]
    [InlineData("http://2130706433/", "loopback")]
    [InlineData("http://0x7f.1/", "loopback")]
    public void Private_targets_are_refused_by_default_and_the_message_names_the_setting(string url, string kind)
    {
        var problem = WebhookUrls.Problem(url, allowPrivateNetworks: false);
        Assert.NotNull(problem);
        Assert.Contains(kind, problem);
        Assert.Contains("Webhooks__AllowPrivateNetworks=true", problem);
        Assert.Null(WebhookUrls.Problem(url, allowPrivateNetworks: true));
    }
}
