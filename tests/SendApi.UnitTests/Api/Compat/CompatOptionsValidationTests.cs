using SendApi.Api.Features.Compat;

namespace SendApi.UnitTests.Api.Compat;

public sealed class CompatOptionsValidationTests
{
    private readonly CompatOptionsValidation _validation = new();

    [Fact]
    public void The_default_prefixes_are_valid()
    {
        var defaults = new CompatOptions();

        Assert.True(_validation.Validate(null, defaults).Succeeded);
        Assert.Equal(("/compat/resend", "/compat/postmark", "/compat/sendgrid"), (defaults.ResendPrefix, defaults.PostmarkPrefix, defaults.SendGridPrefix));
    }

    [Theory]
    [InlineData("")]
    [InlineData("compat/resend")]
    [InlineData("/compat/resend/")]
    [InlineData("/compat resend")]
    [InlineData("/compat/../resend")]
    [InlineData("/compat//resend")]
    public void A_prefix_that_is_not_a_clean_path_fails_at_start_naming_its_environment_variable(string prefix)
    {
        var result = _validation.Validate(null, new CompatOptions { ResendPrefix = prefix });

        Assert.False(result.Succeeded);
        Assert.Contains("Compat__ResendPrefix", result.FailureMessage);
    }

    [Theory]
    [InlineData("/messages")]
    [InlineData("/Swagger/postmark")]
    [InlineData("/health")]
    [InlineData("/templates/postmark")]
    [InlineData("/c/postmark")]
    public void A_prefix_under_our_own_routes_is_refused(string prefix)
    {
        var result = _validation.Validate(null, new CompatOptions { PostmarkPrefix = prefix });

        Assert.False(result.Succeeded);
        Assert.Contains("Compat__PostmarkPrefix", result.FailureMessage);
        Assert.Contains("SendApi's own API", result.FailureMessage);
    }

    [Theory]
    [InlineData("/mail", "/mail")]
    [InlineData("/mail", "/mail/sendgrid")]
    public void Two_providers_on_one_path_are_refused(string resend, string sendGrid)
    {
        var result = _validation.Validate(null, new CompatOptions { ResendPrefix = resend, SendGridPrefix = sendGrid });

        Assert.False(result.Succeeded);
        Assert.Contains("overlap", result.FailureMessage);
    }

    [Fact]
    public void Prefixes_that_only_share_a_beginning_do_not_overlap()
    {
        Assert.True(_validation.Validate(null, new CompatOptions { ResendPrefix = "/mail", SendGridPrefix = "/mailer" }).Succeeded);
    }
}
