using System.Text.Json;
using SendApi.Api.Features.Compat;
using SendApi.Api.Features.Compat.Postmark;
using SendApi.Api.Features.Compat.Resend;
using SendApi.Api.Features.Compat.SendGrid;

namespace SendApi.UnitTests.Api.Compat;

/// <summary>Each provider's body as our request: what is honoured, and what is refused by name.</summary>
public sealed class CompatTranslationTests
{
    [Theory]
    [InlineData("a@x.test, b@x.test", new[] { "a@x.test", "b@x.test" })]
    [InlineData("\"Doe, Jane\" <j@x.test>,b@x.test", new[] { "\"Doe, Jane\" <j@x.test>", "b@x.test" })]
    [InlineData("Jane <j@x.test>", new[] { "Jane <j@x.test>" })]
    [InlineData(" a@x.test , ,", new[] { "a@x.test" })]
    [InlineData("\"a \\\" , b\" <q@x.test>", new[] { "\"a \\\" , b\" <q@x.test>" })]
    [InlineData("", new string[0])]
    public void Postmark_address_lists_split_on_commas_outside_quotes_and_angle_brackets(string text, string[] expected)
    {
        Assert.Equal(expected, PostmarkTranslation.AddressList(text));
    }

    [Fact]
    public void Postmark_fields_map_onto_ours_and_a_cid_prefix_is_dropped()
    {
        var (request, errors) = PostmarkTranslation.Translate(new PostmarkEmail
        {
            From = "a@acme.test", To = "b@x.test, c@x.test", Tag = "welcome", TextBody = "t", HtmlBody = "h",
            Headers = [new PostmarkHeader { Name = "X-A", Value = "1" }],
            Attachments = [new PostmarkAttachment { Name = "l.png", Content = "AA==", ContentId = "cid:logo" }],
            TrackOpens = true, TrackLinks = "HtmlOnly", MessageStream = "outbound",
        });

        Assert.Empty(errors);
        Assert.Equal(["b@x.test", "c@x.test"], request!.To);
        Assert.Equal(["welcome"], request.Tags);
        Assert.Equal(("t", "h"), (request.Text, request.Html));
        Assert.Equal("1", request.Headers!["X-A"]);
        Assert.Equal("logo", request.Attachments![0].ContentId);
    }

    [Fact]
    public void Postmark_refuses_two_reply_to_addresses_a_repeated_header_and_an_unknown_link_tracking()
    {
        var (request, errors) = PostmarkTranslation.Translate(new PostmarkEmail
        {
            ReplyTo = "a@x.test, b@x.test", TrackLinks = "Sometimes",
            Headers = [new PostmarkHeader { Name = "X-A", Value = "1" }, new PostmarkHeader { Name = "x-a", Value = "2" }],
        });

        Assert.Null(request);
        Assert.Equal(["Headers[1]", "ReplyTo", "TrackLinks"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("to[1]", "To[1]")]
    [InlineData("text", "TextBody")]
    [InlineData("attachments[0].content_id", "Attachments[0].ContentID")]
    [InlineData("tags[0]", "Tag")]
    [InlineData("metadata.a", "Metadata.a")]
    public void Our_error_keys_read_in_postmarks_names(string ours, string theirs)
    {
        Assert.Equal(theirs, PostmarkTranslation.FieldName(ours));
    }

    [Fact]
    public void Resend_tags_become_metadata_and_what_sendapi_cannot_do_is_refused_by_name()
    {
        var (request, errors) = ResendTranslation.Translate(new ResendEmail { Tags = [new ResendTag { Name = "category", Value = "welcome" }], ReplyTo = ["r@x.test"] });
        Assert.Empty(errors);
        Assert.Equal("welcome", request!.Metadata!["category"]);
        Assert.Equal("r@x.test", request.ReplyTo);

        var (refused, why) = ResendTranslation.Translate(new ResendEmail
        {
            Template = JsonDocument.Parse("{\"id\":\"t\"}").RootElement,
            TopicId = "topic",
            Attachments = [new ResendAttachment { Filename = "a.pdf", Path = "https://files.example/a.pdf" }],
            Tags = [new ResendTag { Name = "a", Value = "1" }, new ResendTag { Name = "a", Value = "2" }],
        });
        Assert.Null(refused);
        Assert.Equal(["attachments[0].path", "tags[1]", "template", "topic_id"], why.Keys.Order());
        Assert.Equal("tags.category", ResendTranslation.FieldName("metadata.category"));
    }

    [Fact]
    public void A_sendgrid_personalization_overrides_the_sends_subject_headers_custom_args_and_send_at()
    {
        var (requests, errors) = SendGridTranslation.Translate(new SendGridMail
        {
            From = new SendGridAddress { Email = "a@acme.test", Name = "Acme, Inc." },
            Subject = "All", SendAt = 1_900_000_000,
            Headers = new Dictionary<string, string> { ["X-A"] = "all", ["X-B"] = "all" },
            CustomArgs = new Dictionary<string, string> { ["k"] = "all" },
            Categories = ["news"],
            Content = [new SendGridContent { Type = "text/plain", Value = "t" }, new SendGridContent { Type = "text/html", Value = "h" }],
            Personalizations =
            [
                new SendGridPersonalization { To = [new SendGridAddress { Email = "b@x.test", Name = "B" }] },
                new SendGridPersonalization { To = [new SendGridAddress { Email = "c@x.test" }], Subject = "Own", SendAt = 1_900_000_060, Headers = new Dictionary<string, string> { ["X-B"] = "own" }, CustomArgs = new Dictionary<string, string> { ["k"] = "own" } },
            ],
        });

        Assert.Empty(errors);
        Assert.Equal(2, requests.Count);
        Assert.Equal("\"Acme, Inc.\" <a@acme.test>", requests[0]!.From);
        Assert.Equal(["\"B\" <b@x.test>"], requests[0]!.To);
        Assert.Equal(("All", "Own"), (requests[0]!.Subject, requests[1]!.Subject));
        Assert.Equal(("all", "own"), (requests[0]!.Headers!["X-B"], requests[1]!.Headers!["X-B"]));
        Assert.Equal("all", requests[1]!.Headers!["X-A"]);
        Assert.Equal(("all", "own"), (requests[0]!.Metadata!["k"], requests[1]!.Metadata!["k"]));
        Assert.Equal(("2030-03-17T17:46:40Z", "2030-03-17T17:47:40Z"), (requests[0]!.ScheduledAt, requests[1]!.ScheduledAt));
        Assert.Equal(["news"], requests[1]!.Tags);
        Assert.Equal(("t", "h"), (requests[1]!.Text, requests[1]!.Html));
    }

    [Fact]
    public void Sendgrid_refuses_templates_substitutions_unsubscribe_groups_sandbox_mode_and_other_content_types()
    {
        var (_, errors) = SendGridTranslation.Translate(new SendGridMail
        {
            TemplateId = "d-1",
            Asm = JsonDocument.Parse("{\"group_id\":1}").RootElement,
            MailSettings = JsonDocument.Parse("{\"sandbox_mode\":{\"enable\":true}}").RootElement,
            Content = [new SendGridContent { Type = "text/calendar", Value = "x" }],
            Attachments = [new SendGridAttachment { Filename = "a", Content = "AA==", Disposition = "inline" }],
            Personalizations = [new SendGridPersonalization { Substitutions = JsonDocument.Parse("{\"-name-\":\"A\"}").RootElement }],
        });

        Assert.Equal(
            ["asm", "attachments[0].content_id", "content[0].type", "mail_settings.sandbox_mode.enable", "personalizations[0].substitutions", "template_id"],
            errors.Keys.Order());
    }

    [Fact]
    public void Tracking_settings_batch_id_and_ip_pool_are_accepted_and_leave_the_message_as_it_is()
    {
        var (requests, errors) = SendGridTranslation.Translate(new SendGridMail
        {
            From = new SendGridAddress { Email = "a@acme.test" },
            TrackingSettings = JsonDocument.Parse("{\"click_tracking\":{\"enable\":true}}").RootElement,
            MailSettings = JsonDocument.Parse("{\"bypass_list_management\":{\"enable\":false}}").RootElement,
            BatchId = "b", IpPoolName = "pool",
            Personalizations = [new SendGridPersonalization { To = [new SendGridAddress { Email = "b@x.test" }] }],
        });

        Assert.Empty(errors);
        Assert.Equal("a@acme.test", Assert.Single(requests)!.From);
    }

    [Theory]
    [InlineData("to[1]", 2, "personalizations[2].to[1].email")]
    [InlineData("to", 0, "personalizations[0].to")]
    [InlineData("from", 0, "from.email")]
    [InlineData("attachments[0].content_type", 0, "attachments[0].type")]
    [InlineData("metadata.k", 0, "custom_args.k")]
    [InlineData("tags[3]", 0, "categories[3]")]
    [InlineData("scheduled_at", 1, "send_at")]
    public void Our_error_keys_read_in_sendgrids_names(string ours, int personalization, string theirs)
    {
        Assert.Equal(theirs, SendGridTranslation.FieldName(ours, personalization));
    }

    [Fact]
    public void Batch_errors_are_keyed_by_the_items_index()
    {
        var errors = CompatErrors.Renamed(new Dictionary<string, string[]> { ["to[0]"] = ["bad"], ["$"] = ["worse"] }, k => k, "[3]");

        Assert.Equal(["[3]", "[3].to[0]"], errors.Keys.Order());
        Assert.Equal("[3].to[0]: bad.", CompatErrors.Describe(errors.Where(e => e.Key != "[3]")));
    }
}
