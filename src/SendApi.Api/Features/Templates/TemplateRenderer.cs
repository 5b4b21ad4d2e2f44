using System.Text.Json;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Messages;
using SendApi.Core.Templates;

namespace SendApi.Api.Features.Templates;

/// <summary>A template rendered with one set of variables.</summary>
/// <param name="Warnings">What rendered empty for want of a value, e.g. "'first_name' has no value (subject, html)".</param>
internal sealed record RenderedTemplate(string Subject, string? Html, string? Text, IReadOnlyList<string> Warnings);

/// <summary>
/// Renders a stored template: subject and text as written, html escaped, each wrapped in the
/// layout's part of the same kind at <c>{{{body}}}</c> when the template names a layout. The
/// subject stays one header line: line breaks it renders become spaces.
/// </summary>
internal sealed class TemplateRenderer(TemplateCompiler compiler, IOptions<MessagesOptions> messages)
{
    public const string BodyVariable = "body";

    /// <exception cref="TemplateRenderException">A part fails, does too much work or writes more than a message may hold.</exception>
    public RenderedTemplate Render(
        string accountId, StoredTemplate template, StoredTemplate? layout,
        IReadOnlyDictionary<string, JsonElement>? variables, IReadOnlyDictionary<string, JsonElement>? overrides = null)
    {
        var missing = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var data = TemplateVariables.Root(variables, overrides);
        var subject = Part(accountId, template, TemplateParts.Subject, template.Subject, data, missing) ?? "";
        var html = Wrapped(accountId, template, layout, TemplateParts.Html, template.Html, layout?.Html, data, missing);
        var text = Wrapped(accountId, template, layout, TemplateParts.Text, template.Text, layout?.Text, data, missing);
        var warnings = missing.Select(m => $"'{m.Key}' has no value ({string.Join(", ", m.Value)})").ToList();
        return new RenderedTemplate(OneLine(subject), html, text, warnings);
    }

    private string? Wrapped(
        string accountId, StoredTemplate template, StoredTemplate? layout, string part, string? source, string? layoutSource,
        IDictionary<string, object?> data, Dictionary<string, List<string>> missing)
    {
        var body = Part(accountId, template, part, source, data, missing);
        if (body is null || layout is null || layoutSource is null)
        {
            return body;
        }

        return Part(accountId, layout, part, layoutSource, TemplateVariables.With(data, BodyVariable, body), missing);
    }

    private string? Part(string accountId, StoredTemplate template, string part, string? source, object data, Dictionary<string, List<string>> missing)
    {
        if (source is null)
        {
            return null;
        }

        var compiled = compiler.Get(accountId, template.Name, template.Version, part, source);
        var (text, names) = compiler.Render(compiled, data, messages.Value.MaxSizeBytes);
        foreach (var name in names)
        {
            if (!missing.TryGetValue(name, out var parts))
            {
                missing[name] = parts = [];
            }

            if (!parts.Contains(part))
            {
                parts.Add(part);
            }
        }

        return text;
    }

    private static string OneLine(string subject) =>
        subject.AsSpan().IndexOfAny('\r', '\n') < 0 ? subject : string.Join(' ', subject.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
