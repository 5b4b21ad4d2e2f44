using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Microsoft.Extensions.Options;
using SendApi.Core.Templates;

namespace SendApi.Api.Features.Templates;

/// <summary>
/// The body of <c>POST /templates</c> and <c>PUT /templates/{name}</c>: Handlebars sources. html
/// escapes what it writes (<c>{{{x}}}</c> does not); subject and text write values as they are.
/// </summary>
/// <param name="Name">The alias sends name it by: letters, digits, '.', '_' and '-', at most 64, unique in the account. On PUT it may be left out (the URL names it).</param>
/// <param name="Subject">The subject; line breaks it renders become spaces.</param>
/// <param name="Html">The HTML body; html, text or both are required.</param>
/// <param name="Text">The plain-text body.</param>
/// <param name="Layout">Another template of the account whose html and text wrap this one's where they write {{{body}}}; its latest version is used at each send. A layout's own layout is not applied.</param>
/// <param name="Unsubscribe">Sends of this template get one-click unsubscribe links (as a send's <c>unsubscribe</c>) unless the send says otherwise; absent: the server's default (Tracking:Unsubscribe). Needs Tracking:BaseUrl.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TemplateRequest(string? Name, string? Subject, string? Html, string? Text, string? Layout, bool? Unsubscribe = null)
{
    /// <summary>Identity, as <see cref="Messages.SendMessageRequest"/>'s: a value hash would read the whole HTML at each validation condition.</summary>
    public bool Equals(TemplateRequest? other) => ReferenceEquals(this, other);

    /// <inheritdoc cref="Equals(TemplateRequest?)"/>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}

/// <summary>One version of a template.</summary>
/// <param name="Version">1 for the first; each PUT adds one.</param>
/// <param name="CreatedAt">When this version was written.</param>
/// <param name="Unsubscribe">Whether its sends get unsubscribe links when they don't say; null: the server's default.</param>
public sealed record TemplateDetails(string Name, int Version, string? Subject, string? Html, string? Text, string? Layout, DateTimeOffset CreatedAt, bool? Unsubscribe)
{
    internal static TemplateDetails Of(StoredTemplate t) => new(t.Name, t.Version, t.Subject, t.Html, t.Text, t.Layout, t.CreatedAt, t.Unsubscribe);
}

/// <summary>A template in the list: its latest version, without the bodies.</summary>
public sealed record TemplateSummary(string Name, int Version, string? Subject, string? Layout, DateTimeOffset CreatedAt)
{
    internal static TemplateSummary Of(StoredTemplate t) => new(t.Name, t.Version, t.Subject, t.Layout, t.CreatedAt);
}

/// <summary>The body of <c>POST /templates/{name}/render</c>.</summary>
/// <param name="Variables">The values, as a send gives them.</param>
/// <param name="Version">A version to render; the latest when absent.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RenderTemplateRequest(IReadOnlyDictionary<string, JsonElement>? Variables, int? Version);

/// <summary>The template rendered, as a send would build the message.</summary>
/// <param name="TemplateWarnings">Names that had no value and rendered empty, with the parts that use them.</param>
public sealed record RenderTemplateResponse(string Name, int Version, string Subject, string? Html, string? Text, IReadOnlyList<string> TemplateWarnings);

/// <summary>Where a part does not compile; line and column count from 1.</summary>
/// <param name="Part">subject, html or text.</param>
public sealed record TemplateErrorLocation(string Part, int Line, int Column, string Message);

internal sealed class TemplateRequestValidator : AbstractValidator<TemplateRequest>
{
    public TemplateRequestValidator(IOptions<TemplatesOptions> options)
    {
        var max = options.Value.MaxSourceLength;
        RuleFor(x => x.Name).Must(TemplateNames.IsValid).When(x => x.Name is not null).WithMessage(TemplateNames.Rule);
        RuleFor(x => x.Layout).Must(TemplateNames.IsValid).When(x => x.Layout is not null).WithMessage(TemplateNames.Rule);
        RuleFor(x => x.Subject).MaximumLength(Math.Min(max, 2000));
        RuleFor(x => x.Html).MaximumLength(max);
        RuleFor(x => x.Text).MaximumLength(max);
        RuleFor(x => x)
            .Must(x => !string.IsNullOrEmpty(x.Text) || !string.IsNullOrEmpty(x.Html))
            .OverridePropertyName("text")
            .WithMessage("A body is required: text, html or both.");
    }
}

internal sealed class RenderTemplateRequestValidator : AbstractValidator<RenderTemplateRequest>
{
    public RenderTemplateRequestValidator(IOptions<TemplatesOptions> options)
    {
        var max = options.Value.MaxVariablesLength;
        RuleFor(x => x.Version).GreaterThanOrEqualTo(1).When(x => x.Version is not null);
        RuleFor(x => x.Variables)
            .Must(v => TemplateVariables.Length(v) <= max)
            .WithMessage($"must be at most {max} characters of JSON (Templates:MaxVariablesLength).");
    }
}
