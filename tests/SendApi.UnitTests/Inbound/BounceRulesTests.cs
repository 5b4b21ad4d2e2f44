using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

public sealed class BounceRulesTests
{
    [Theory]
    [InlineData("5.1.1", BounceKind.Hard)]
    [InlineData("5.1.2", BounceKind.Hard)]
    [InlineData("5.1.3", BounceKind.Hard)]
    [InlineData("5.1.10", BounceKind.Hard)]
    [InlineData("5.2.1", BounceKind.Hard)]
    [InlineData("5.3.2", BounceKind.Hard)]
    [InlineData("5.4.4", BounceKind.Hard)]
    [InlineData("5.7.1", BounceKind.Hard)]
    [InlineData("5.7.26", BounceKind.Hard)]
    [InlineData("5.2.2", BounceKind.Soft)]
    [InlineData("5.2.3", BounceKind.Soft)]
    [InlineData("5.3.1", BounceKind.Soft)]
    [InlineData("5.3.4", BounceKind.Soft)]
    [InlineData("5.4.7", BounceKind.Soft)]
    [InlineData("4.2.2", BounceKind.Soft)]
    [InlineData("4.4.1", BounceKind.Soft)]
    [InlineData("4.7.0", BounceKind.Soft)]
    [InlineData("5.5.0", BounceKind.Unknown)]
    [InlineData("5.0.0", BounceKind.Unknown)]
    public void Failed_status_code_decides_the_kind(string status, BounceKind expected)
    {
        var (kind, _) = BounceRules.Classify("failed", status, diagnostic: null);

        Assert.Equal(expected, kind);
    }

    [Theory]
    [InlineData("5.1.1")]
    [InlineData("5.7.1")]
    [InlineData("5.0.0")]
    public void Delayed_action_is_soft_whatever_the_status(string status)
    {
        var (kind, reason) = BounceRules.Classify("delayed", status, "smtp; 550 user unknown");

        Assert.Equal(BounceKind.Soft, kind);
        Assert.StartsWith("delivery delayed", reason);
    }

    [Fact]
    public void Failed_after_expiry_with_a_temporary_status_is_soft()
    {
        // Postfix reports the last deferral's code when it gives up.
        var (kind, _) = BounceRules.Classify("failed", "4.4.7", "X-Postfix; delivery temporarily suspended");

        Assert.Equal(BounceKind.Soft, kind);
    }

    [Theory]
    [InlineData("smtp; 550-5.1.1 The email account that you tried to reach does not exist", "5.1.1", BounceKind.Hard)]
    [InlineData("smtp; 552 5.2.2 Mailbox full", "5.2.2", BounceKind.Soft)]
    [InlineData("smtp; 550 Requested action not taken: mailbox unavailable", null, BounceKind.Hard)]
    [InlineData("smtp; 550 No such user here", null, BounceKind.Hard)]
    [InlineData("smtp; 554 Sorry, this user is over quota", null, BounceKind.Soft)]
    [InlineData("smtp; 552 Quota exceeded", null, BounceKind.Soft)]
    [InlineData("smtp; 550 Recipient does not exist", null, BounceKind.Hard)]
    [InlineData("smtp; 554 Something else went wrong", null, BounceKind.Unknown)]
    [InlineData("smtp; 450 user unknown, try later", null, BounceKind.Soft)]
    public void Generic_status_is_refined_by_the_diagnostic(string diagnostic, string? codeInText, BounceKind expected)
    {
        var (kind, reason) = BounceRules.Classify("failed", "5.0.0", diagnostic);

        Assert.Equal(expected, kind);
        if (codeInText is not null)
        {
            Assert.EndsWith($"({codeInText})", reason);
        }
    }

    [Fact]
    public void Missing_status_uses_the_reply_code_of_the_diagnostic()
    {
        var (kind, reason) = BounceRules.Classify("failed", null, "smtp; 421 4.3.0 Temporary System Problem");

        Assert.Equal(BounceKind.Soft, kind);
        Assert.Equal("temporary failure (4.3.0)", reason);
    }

    [Fact]
    public void Success_reports_are_not_failures()
    {
        var (kind, reason) = BounceRules.Classify("delivered", "2.0.0", "smtp; 250 OK");

        Assert.Equal(BounceKind.Unknown, kind);
        Assert.Equal("delivered, not a failure", reason);
    }

    [Fact]
    public void Exchange_Online_directory_rejection_with_5_4_1_is_a_hard_bounce()
    {
        var (kind, reason) = BounceRules.Classify("failed", "5.4.1",
            "smtp; 550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM4PEPF00027A5F.eurprd04.prod.outlook.com]");

        Assert.Equal(BounceKind.Hard, kind);
        Assert.Equal("mailbox does not exist (5.4.1)", reason);
    }

    [Fact]
    public void Other_5_4_1_failures_stay_unclassified()
    {
        Assert.Equal(BounceKind.Unknown, BounceRules.Classify("failed", "5.4.1", "smtp; 550 5.4.1 No answer from host").Kind);
    }

    [Theory]
    [InlineData("host 192.0.2.1 said: 550 Error", null)]
    [InlineData("version 1.2.3 rejected", null)]
    [InlineData("550 5.1.1 <x@y>", "5.1.1")]
    [InlineData("status 4.7.26 later", "4.7.26")]
    public void Status_codes_are_found_in_text_but_not_in_addresses_or_versions(string text, string? expected)
    {
        Assert.Equal(expected, StatusCode.Find(text)?.ToString());
    }
}
