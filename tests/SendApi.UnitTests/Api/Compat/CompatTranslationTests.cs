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
        Assert.Equal((true, true), (request.TrackOpens, request.TrackClicks));
        Assert.Null(request.Template);
    }

    [Theory]
    [InlineData("HtmlAndText", true)]
    [InlineData("HtmlOnly", true)]
    [InlineData("None", false)]
    [InlineData(null, null)]
    public void Postmark_track_links_is_our_click_tracking_of_the_html(string? trackLinks, bool? trackClicks)
    {
        var (request, errors) = PostmarkTranslation.Translate(new PostmarkEmail { TrackLinks = trackLinks });

        Assert.Empty(errors);
        Assert.Equal(trackClicks, request!.TrackClicks);
        Assert.Null(request.TrackOpens);
    }

    [Fact]
    public void Postmark_text_only_link_tracking_is_refused_saying_only_html_links_are_tracked()
    {
        var (request, errors) = PostmarkTranslation.Translate(new PostmarkEmail { TrackLinks = "TextOnly" });

        Assert.Null(request);
        Assert.Contains("HTML body only", Assert.Single(errors["TrackLinks"]));
    }

    [Theory]
    [InlineData("{\"TemplateId\": 12345}", "12345")]
    [InlineData("{\"TemplateId\": \"12345\"}", "12345")]
    [InlineData("{\"TemplateAlias\": \"welcome\", \"InlineCss\": true}", "welcome")]
    public void Postmark_template_alias_or_id_names_our_template_and_the_model_is_its_variables(string json, string name)
    {
        var email = JsonSerializer.Deserialize<PostmarkEmail>(json, PostmarkErrors.Json)! with
        {
            From = "a@acme.test", To = "b@x.test",
            TemplateModel = new Dictionary<string, JsonElement> { ["name"] = JsonDocument.Parse("\"Ann\"").RootElement },
        };

        var (request, errors) = PostmarkTranslation.Translate(email, templated: true);

        Assert.Empty(errors);
        Assert.Equal(name, request!.Template);
        Assert.Equal("Ann", request.Variables!["name"].GetString());
        Assert.Equal((null, null, null), (request.Subject, request.Html, request.Text));
    }

    [Theory]
    [InlineData("{}", "TemplateId", "TemplateId or TemplateAlias is required")]
    [InlineData("{\"TemplateId\": 1, \"TemplateAlias\": \"a\"}", "TemplateId", "not both")]
    [InlineData("{\"TemplateId\": 1.5}", "TemplateId", "whole number")]
    public void Postmark_a_templated_email_names_one_template(string json, string field, string why)
    {
        var (request, errors) = PostmarkTranslation.Translate(JsonSerializer.Deserialize<PostmarkEmail>(json, PostmarkErrors.Json)!, templated: true);

        Assert.Null(request);
        Assert.Contains(why, Assert.Single(errors[field]));
    }

    [Fact]
    public void Postmark_template_fields_on_the_plain_route_are_refused_naming_the_template_route()
    {
        var (request, errors) = PostmarkTranslation.Translate(new PostmarkEmail
        {
            TemplateAlias = "welcome", TemplateModel = new Dictionary<string, JsonElement>(), InlineCss = true,
        });

        Assert.Null(request);
        Assert.Equal(["InlineCss", "TemplateAlias", "TemplateModel"], errors.Keys.Order());
        Assert.Contains("/email/withTemplate", errors["TemplateAlias"][0]);
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
    [InlineData("variables", "TemplateModel")]
    [InlineData("track_opens", "TrackOpens")]
    [InlineData("track_clicks", "TrackLinks")]
    [InlineData("template", "TemplateId")]
    public void Our_error_keys_read_in_postmarks_names(string ours, string theirs)
    {
        Assert.Equal(theirs, PostmarkTranslation.FieldName(ours));
    }

    [Fact]
    public void Our_template_error_names_the_field_the_email_named_it_by()
    {
        Assert.Equal("TemplateAlias", PostmarkTranslation.FieldName("template", new PostmarkEmail { TemplateAlias = "welcome" }));
        Assert.Equal("TemplateId", PostmarkTranslation.FieldName("template", new PostmarkEmail { TemplateId = JsonDocument.Parse("7").RootElement }));
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
            Template = new ResendTemplate(),
            TopicId = "topic",
            Attachments = [new ResendAttachment { Filename = "a.pdf", Path = "https://files.example/a.pdf" }],
            Tags = [new ResendTag { Name = "a", Value = "1" }, new ResendTag { Name = "a", Value = "2" }],
        });
        Assert.Null(refused);
        Assert.Equal(["attachments[0].path", "tags[1]", "template.id", "topic_id"], why.Keys.Order());
        Assert.Equal("tags.category", ResendTranslation.FieldName("metadata.category"));
    }

    [Fact]
    public void Resend_template_id_names_our_template_and_its_variables_are_ours()
    {
        var (request, errors) = ResendTranslation.Translate(new ResendEmail
        {
            From = "a@acme.test", To = ["b@x.test"],
            Template = new ResendTemplate { Id = "welcome", Variables = new Dictionary<string, JsonElement> { ["n"] = JsonDocument.Parse("3").RootElement } },
        });

        Assert.Empty(errors);
        Assert.Equal("welcome", request!.Template);
        Assert.Equal(3, request.Variables!["n"].GetInt32());
        Assert.Equal(("template.id", "template.variables"), (ResendTranslation.FieldName("template"), ResendTranslation.FieldName("variables")));
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
    public void Sendgrid_refuses_substitutions_unsubscribe_groups_sandbox_mode_and_other_content_types()
    {
        var (_, errors) = SendGridTranslation.Translate(new SendGridMail
        {
            Asm = JsonDocument.Parse("{\"group_id\":1}").RootElement,
            MailSettings = JsonDocument.Parse("{\"sandbox_mode\":{\"enable\":true}}").RootElement,
            Content = [new SendGridContent { Type = "text/calendar", Value = "x" }],
            Attachments = [new SendGridAttachment { Filename = "a", Content = "AA==", Disposition = "inline" }],
            Personalizations = [new SendGridPersonalization { Substitutions = JsonDocument.Parse("{\"-name-\":\"A\"}").RootElement }],
        });

        Assert.Equal(
            ["asm", "attachments[0].content_id", "content[0].type", "mail_settings.sandbox_mode.enable", "personalizations[0].substitutions"],
            errors.Keys.Order());
        Assert.Contains("subscription_tracking.enable", errors["asm"][0]);
    }

    [Fact]
    public void Sendgrid_template_id_names_our_template_with_each_personalizations_data_and_replaces_subject_and_content()
    {
        var (requests, errors) = SendGridTranslation.Translate(new SendGridMail
        {
            From = new SendGridAddress { Email = "a@acme.test" },
            TemplateId = "d-0123456789abcdef0123456789abcdef",
            Subject = "ignored",
            Content = [new SendGridContent { Type = "text/html", Value = "ignored" }],
            Personalizations =
            [
                new SendGridPersonalization { To = [new SendGridAddress { Email = "b@x.test" }], DynamicTemplateData = new Dictionary<string, JsonElement> { ["name"] = JsonDocument.Parse("\"B\"").RootElement } },
                new SendGridPersonalization { To = [new SendGridAddress { Email = "c@x.test" }], Subject = "also ignored" },
            ],
        });

        Assert.Empty(errors);
        Assert.All(requests, r => Assert.Equal("d-0123456789abcdef0123456789abcdef", r!.Template));
        Assert.Equal("B", requests[0]!.Variables!["name"].GetString());
        Assert.Null(requests[1]!.Variables);
        Assert.All(requests, r => Assert.Equal((null, null, null), (r!.Subject, r.Html, r.Text)));
        Assert.True(SendApi.Core.Templates.TemplateNames.IsValid(requests[0]!.Template), "a SendGrid dynamic template id is a valid template name");
    }

    [Fact]
    public void Sendgrid_dynamic_template_data_without_a_template_is_ignored_as_sendgrid_ignores_it()
    {
        var (requests, errors) = SendGridTranslation.Translate(new SendGridMail
        {
            Content = [new SendGridContent { Type = "text/plain", Value = "t" }],
            Personalizations = [new SendGridPersonalization { DynamicTemplateData = new Dictionary<string, JsonElement>() }],
        });

        Assert.Empty(errors);
        Assert.Null(Assert.Single(requests)!.Variables);
        Assert.Equal("t", requests[0]!.Text);
    }

    [Fact]
    public void Sendgrid_tracking_settings_are_our_open_click_and_unsubscribe_choices()
    {
        var settings = JsonSerializer.Deserialize<SendGridTrackingSettings>(
            "{\"open_tracking\":{\"enable\":true},\"click_tracking\":{\"enable\":false,\"enable_text\":true},\"subscription_tracking\":{\"enable\":true}}", SendGridErrors.Json);
        var (requests, errors) = SendGridTranslation.Translate(new SendGridMail
        {
            TrackingSettings = settings,
            MailSettings = JsonDocument.Parse("{\"bypass_list_management\":{\"enable\":false}}").RootElement,
            BatchId = "b", IpPoolName = "pool",
            Personalizations = [new SendGridPersonalization(), new SendGridPersonalization()],
        });

        Assert.Empty(errors);
        Assert.All(requests, r => Assert.Equal((true, false, true), (r!.TrackOpens, r.TrackClicks, r.Unsubscribe)));

        var (plain, _) = SendGridTranslation.Translate(new SendGridMail { Personalizations = [new SendGridPersonalization()] });
        Assert.Equal((null, null, null), (plain[0]!.TrackOpens, plain[0]!.TrackClicks, plain[0]!.Unsubscribe));
    }

    [Fact]
    public void Sendgrid_tracking_that_would_change_the_body_otherwise_than_sendapi_does_is_refused()
    {
        var settings = JsonSerializer.Deserialize<SendGridTrackingSettings>(
            "{\"open_tracking\":{\"enable\":true,\"substitution_tag\":\"%open%\"},\"subscription_tracking\":{\"enable\":true,\"text\":\"Unsubscribe: <% %>\"},\"ganalytics\":{\"enable\":true,\"utm_source\":\"x\"}}", SendGridErrors.Json);

        var (_, errors) = SendGridTranslation.Translate(new SendGridMail { TrackingSettings = settings, Personalizations = [new SendGridPersonalization()] });

        Assert.Equal(
            ["tracking_settings.ganalytics.enable", "tracking_settings.open_tracking.substitution_tag", "tracking_settings.subscription_tracking.text"],
            errors.Keys.Order());
    }

    [Theory]
    [InlineData("to[1]", 2, "personalizations[2].to[1].email")]
    [InlineData("to", 0, "personalizations[0].to")]
    [InlineData("from", 0, "from.email")]
    [InlineData("attachments[0].content_type", 0, "attachments[0].type")]
    [InlineData("metadata.k", 0, "custom_args.k")]
    [InlineData("tags[3]", 0, "categories[3]")]
    [InlineData("scheduled_at", 1, "send_at")]
    [InlineData("template", 0, "template_id")]
    [InlineData("variables", 1, "personalizations[1].dynamic_template_data")]
    [InlineData("track_opens", 0, "tracking_settings.open_tracking.enable")]
    [InlineData("unsubscribe", 0, "tracking_settings.subscription_tracking.enable")]
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
