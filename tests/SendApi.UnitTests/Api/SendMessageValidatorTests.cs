using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Api;
using SendApi.Api.Features.Messages;

namespace SendApi.UnitTests.Api;

public sealed class SendMessageValidatorTests
{
    private static readonly SendMessageRequest Valid = new()
    {
        From = "Acme <hello@acme.test>",
        To = ["bob@example.test"],
        Subject = "Hello",
        Text = "Hi",
    };

    private static readonly DateTimeOffset Now = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    private readonly SendMessageValidator _validator;

    public SendMessageValidatorTests()
    {
        ApiServiceCollectionExtensions.UseJsonNamesInValidation();
        _validator = new SendMessageValidator(Options.Create(new MessagesOptions { MaxRecipients = 50 }), new FakeTimeProvider(Now));
    }

    private IDictionary<string, string[]> Errors(SendMessageRequest request) => _validator.Validate(request).ToDictionary();

    [Fact]
    public void A_minimal_message_is_valid() => Assert.Empty(Errors(Valid));

    [Theory]
    [InlineData("Bob <bob@example.test>")]
    [InlineData("\"Smith, Bob\" <bob@example.test>")]
    [InlineData("bob@example.test")]
    [InlineData("josé@exämple.test")]
    public void Addresses_may_carry_a_display_name(string address) =>
        Assert.Empty(Errors(Valid with { To = [address] }));

    [Theory]
    [InlineData("bob")]
    [InlineData("bob@localhost")]
    [InlineData("a@x.test, b@x.test")]
    [InlineData("bob@example.test\r\nBcc: victim@example.test")]
    [InlineData("")]
    public void Bad_recipient_addresses_are_reported_by_position(string address)
    {
        var errors = Errors(Valid with { To = ["ok@example.test", address] });
        Assert.True(errors.ContainsKey("to[1]"), string.Join(", ", errors.Keys));
    }

    [Fact]
    public void Header_injection_through_the_subject_is_refused() =>
        Assert.Contains("subject", Errors(Valid with { Subject = "Hi\r\nBcc: victim@example.test" }).Keys);

    [Fact]
    public void Header_injection_through_a_custom_header_is_refused()
    {
        var errors = Errors(Valid with { Headers = new Dictionary<string, string> { ["X-Campaign"] = "a\nBcc: victim@example.test" } });
        Assert.Contains("headers.X-Campaign", errors.Keys);
    }

    [Theory]
    [InlineData("From")]
    [InlineData("bcc")]
    [InlineData("Message-ID")]
    [InlineData("Content-Type")]
    [InlineData("Bad Name")]
    [InlineData("Bad:Name")]
    public void Reserved_or_malformed_header_names_are_refused(string name) =>
        Assert.Contains($"headers.{name}", Errors(Valid with { Headers = new Dictionary<string, string> { [name] = "x" } }).Keys);

    [Fact]
    public void A_line_break_in_an_attachment_name_is_refused() =>
        Assert.Contains("attachments[0].filename", Errors(Valid with
        {
            Attachments = [new AttachmentRequest { Filename = "a.txt\r\nX-Evil: 1", Content = "aGk=" }],
        }).Keys);

    [Fact]
    public void More_than_50_recipients_in_total_is_refused()
    {
        var many = Enumerable.Range(0, 30).Select(i => $"r{i}@example.test").ToList();
        var errors = Errors(Valid with { To = many, Bcc = many.Select(a => "b" + a).ToList() });
        Assert.Contains("60", Assert.Single(errors["to"]));
    }

    [Fact]
    public void A_message_needs_a_recipient_and_a_body()
    {
        var errors = Errors(new SendMessageRequest { From = "a@example.test" });
        Assert.Contains("to", errors.Keys);
        Assert.Contains("text", errors.Keys);
    }

    [Fact]
    public void Attachments_must_be_base64_with_a_mime_type()
    {
        var errors = Errors(Valid with
        {
            Attachments = [new AttachmentRequest { Filename = "a.pdf", Content = "not base64!", ContentType = "pdf" }],
        });
        Assert.Contains("attachments[0].content", errors.Keys);
        Assert.Contains("attachments[0].content_type", errors.Keys);
    }

    [Fact]
    public void Tags_and_metadata_are_bounded()
    {
        var errors = Errors(Valid with
        {
            Tags = ["ok", "no spaces"],
            Metadata = new Dictionary<string, string> { ["order id"] = "1", ["note"] = new string('x', 501) },
        });
        Assert.Contains("tags[1]", errors.Keys);
        Assert.Contains("metadata.order id", errors.Keys);
        Assert.Contains("metadata.note", errors.Keys);
    }

    /// <summary>.NET's <c>$</c> matches before a final "\n": every rule must hold to the very end.</summary>
    [Fact]
    public void A_final_line_feed_is_refused_in_header_names_tags_metadata_keys_and_content_ids()
    {
        var errors = Errors(Valid with
        {
            Headers = new Dictionary<string, string> { ["X-Campaign\n"] = "spring" },
            Tags = ["orders\n"],
            Metadata = new Dictionary<string, string> { ["order_id\n"] = "1" },
            Attachments = [new AttachmentRequest { Filename = "logo.png", Content = "aGk=", ContentId = "logo@acme.test\n" }],
        });
        Assert.Equal(
            ["attachments[0].content_id", "headers.X-Campaign\n", "metadata.order_id\n", "tags[0]"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Content_ids_are_at_most_200_characters() =>
        Assert.Contains("attachments[0].content_id", Errors(Valid with
        {
            Attachments = [new AttachmentRequest { Filename = "logo.png", Content = "aGk=", ContentId = new string('a', 201) }],
        }).Keys);

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(300, false)]
    public void A_local_part_is_at_most_64_octets_as_over_SMTP(int length, bool valid)
    {
        var errors = Errors(Valid with { To = [new string('a', length) + "@example.test"] });
        Assert.Equal(valid, !errors.ContainsKey("to[0]"));
    }

    [Theory]
    [InlineData("2026-11-30T09:00:00Z")]
    [InlineData("2026-12-03T07:59:59+00:00")]
    [InlineData("2026-11-30T10:30:00.123+02:00")]
    public void A_scheduled_time_within_the_window_is_valid(string at) => Assert.Empty(Errors(Valid with { ScheduledAt = at }));

    [Theory]
    [InlineData("2026-11-30T07:59:59Z", "in the past")]
    [InlineData("2026-12-03T08:00:01Z", "more than 72h ahead")]
    [InlineData("2026-11-30T09:00:00", "RFC 3339")]
    [InlineData("12/01/2026 09:00", "RFC 3339")]
    [InlineData("2026-11-30T09:00:00Z\n", "RFC 3339")]
    [InlineData("tomorrow", "RFC 3339")]
    public void A_scheduled_time_outside_the_window_or_not_RFC_3339_is_refused_on_its_field(string at, string why)
    {
        var error = Assert.Single(Errors(Valid with { ScheduledAt = at }));
        Assert.Equal("scheduled_at", error.Key);
        Assert.Contains(why, error.Value[0]);
    }
}
