using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Templates;
using SendApi.Core.Templates;

namespace SendApi.UnitTests.Templates;

public sealed class TemplateRendererTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    private readonly TemplateCompiler _compiler = new(Options.Create(new TemplatesOptions()));
    private readonly TemplateRenderer _renderer;

    public TemplateRendererTests() => _renderer = new TemplateRenderer(_compiler, Options.Create(new MessagesOptions()));

    public void Dispose() => _compiler.Dispose();

    private static StoredTemplate Template(string? subject = null, string? html = null, string? text = null, string? layout = null, string name = "t", int version = 1) =>
        new(name, version, subject, html, text, layout, At);

    private static IReadOnlyDictionary<string, JsonElement> Vars(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;

    private RenderedTemplate Render(StoredTemplate template, string json = "{}", StoredTemplate? layout = null, string? overrides = null) =>
        _renderer.Render("acct", template, layout, Vars(json), overrides is null ? null : Vars(overrides));

    [Fact]
    public void Html_escapes_values_and_text_and_subject_do_not()
    {
        var rendered = Render(Template("Hi {{name}}", "<p>{{name}}</p><p>{{{name}}}</p>", "Hi {{name}}"), """{"name": "<b>Tom & Jerry</b>"}""");

        Assert.Equal("<p>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p><p><b>Tom & Jerry</b></p>", rendered.Html);
        Assert.Equal("Hi <b>Tom & Jerry</b>", rendered.Text);
        Assert.Equal("Hi <b>Tom & Jerry</b>", rendered.Subject);
        Assert.Empty(rendered.Warnings);
    }

    [Fact]
    public void Missing_variables_render_empty_and_are_named_once_with_their_parts()
    {
        var rendered = Render(Template("Hi {{first_name}}", "<p>{{first_name}} {{city}}</p>", "{{first_name}}"), """{"other": 1}""");

        Assert.Equal("Hi ", rendered.Subject);
        Assert.Equal("<p> </p>", rendered.Html);
        Assert.Equal(["'first_name' has no value (subject, html, text)", "'city' has no value (html)"], rendered.Warnings);
    }

    [Fact]
    public void A_value_tested_but_not_written_is_no_warning()
    {
        var rendered = Render(Template(text: "{{#if vip}}VIP{{/if}}done"));

        Assert.Equal("done", rendered.Text);
        Assert.Empty(rendered.Warnings);
    }

    [Fact]
    public void Numbers_booleans_nested_objects_and_arrays_render()
    {
        var rendered = Render(
            Template(text: "{{order.id}} {{total}} {{#each order.items}}[{{@index}}:{{name}}x{{qty}}]{{/each}}{{#if paid}} paid{{/if}}"),
            """{"order": {"id": 42, "items": [{"name": "pen", "qty": 2}, {"name": "ink", "qty": 1}]}, "total": 1.50, "paid": true}""");

        Assert.Equal("42 1.50 [0:penx2][1:inkx1] paid", rendered.Text);
    }

    [Fact]
    public void A_recipients_variables_win_over_the_messages()
    {
        var rendered = Render(Template(text: "{{greeting}} {{name}}"), """{"greeting": "Hello", "name": "everyone"}""", overrides: """{"name": "Ann"}""");

        Assert.Equal("Hello Ann", rendered.Text);
    }

    [Fact]
    public void A_layout_wraps_each_part_at_body_and_sees_the_variables()
    {
        var layout = Template(html: "<html><h1>{{brand}}</h1>{{{body}}}</html>", text: "{{brand}}\n{{{body}}}\n--", name: "layout");
        var rendered = Render(Template("Sub", "<p>Hi {{name}}</p>", "Hi {{name}}", layout: "layout"), """{"brand": "Acme", "name": "<Ann>"}""", layout);

        Assert.Equal("<html><h1>Acme</h1><p>Hi &lt;Ann&gt;</p></html>", rendered.Html);
        Assert.Equal("Acme\nHi <Ann>\n--", rendered.Text);
        Assert.Equal("Sub", rendered.Subject);
    }

    [Fact]
    public void Line_breaks_a_subject_renders_become_spaces()
    {
        var rendered = Render(Template("Hi {{name}}!", text: "x"), """{"name": "Ann\r\nBcc: victim@example.test"}""");

        Assert.Equal("Hi Ann Bcc: victim@example.test!", rendered.Subject);
    }

    [Theory]
    [InlineData("Hello\n{{#if x}}never closed", 2, 1, "never closed")]
    [InlineData("a\nb {{/each}}", 2, 3, "closes no open block")]
    [InlineData("{{#each items}}{{/if}}", 1, 16, "{{/if}} closes {{#each}}")]
    [InlineData("ok\n  {{name", 2, 3, "never closed")]
    [InlineData("line one\nline two {{> header}}", 2, 10, "partials")]
    [InlineData("{{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}", 1, 1, "partials")]
    [InlineData("x\n\n   {{a b=}}", 3, 4, "")]
    public void Syntax_errors_say_line_and_column(string source, int line, int column, string says)
    {
        var error = _compiler.Check(TemplateParts.Html, source);

        Assert.NotNull(error);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_sources_have_no_syntax_error()
    {
        Assert.Null(_compiler.Check(TemplateParts.Html, "{{#each items}}{{#if @first}}<b>{{name}}</b>{{else}}{{name}}{{/if}}{{/each}} \\{{literal}} {{! note }} {{!-- {{x}} --}}"));
    }

    [Fact]
    public void Blocks_nested_deeper_than_the_bound_are_refused_before_compiling()
    {
        var source = string.Concat(Enumerable.Repeat("{{#if a}}", 5000)) + string.Concat(Enumerable.Repeat("{{/if}}", 5000));

        var error = _compiler.Check(TemplateParts.Text, source);

        Assert.NotNull(error);
        Assert.Contains("nest more than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_part_with_more_tags_than_the_bound_is_refused_before_compiling()
    {
        var source = "<p>\n" + string.Concat(Enumerable.Repeat("{{a}}", 2001));
        var clock = Stopwatch.StartNew();

        var error = _compiler.Check(TemplateParts.Html, source);

        Assert.NotNull(error);
        Assert.Equal((2, 10001), (error.Line, error.Column));
        Assert.Contains("at most 2000 tags (Templates:MaxTags)", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Nested_loops_over_large_variables_stop_at_the_budget_within_a_generous_bound()
    {
        var items = "[" + string.Join(",", Enumerable.Repeat("1", 5000)) + "]";
        var template = Template(text: "{{#each items}}{{#each ../items}}{{#each ../../items}}{{/each}}{{/each}}{{/each}}");
        var clock = Stopwatch.StartNew();

        var ex = Assert.Throws<TemplateRenderException>(() => Render(template, $$"""{"items": {{items}}}"""));

        Assert.Contains("too much work", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Output_that_would_outgrow_a_message_is_refused()
    {
        var renderer = new TemplateRenderer(_compiler, Options.Create(new MessagesOptions { MaxSizeBytes = 10_000 }));
        var items = "[" + string.Join(",", Enumerable.Repeat("1", 1000)) + "]";
        var template = Template(text: "{{#each items}}" + new string('x', 100) + "{{/each}}", name: "big");

        var ex = Assert.Throws<TemplateRenderException>(() => renderer.Render("acct", template, null, Vars($$"""{"items": {{items}}}""")));

        Assert.Contains("longer than 10000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_helper_is_a_render_error_not_a_crash()
    {
        var ex = Assert.Throws<TemplateRenderException>(() => Render(Template(text: "{{shout name}}"), """{"name": "a"}"""));

        Assert.Contains("shout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compiled_parts_are_cached_per_version()
    {
        var v1 = Render(Template(text: "one {{x}}", version: 1), """{"x": 1}""");
        var v2 = Render(Template(text: "two {{x}}", version: 2), """{"x": 2}""");
        var v1Again = Render(Template(text: "ignored: version 1 is cached", version: 1), """{"x": 3}""");

        Assert.Equal(("one 1", "two 2", "one 3"), (v1.Text, v2.Text, v1Again.Text));
    }
}
