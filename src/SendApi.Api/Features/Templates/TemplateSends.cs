using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Tracking;
using SendApi.Api.Http;
using SendApi.Core.Templates;

namespace SendApi.Api.Features.Templates;

/// <summary>A send composed from a template, or why it cannot be (a 400 keyed by field).</summary>
/// <param name="Warnings">With a template, what rendered empty; null without one.</param>
internal sealed record ComposedSend(IncomingMessage? Message, IReadOnlyList<string>? Warnings, IReadOnlyDictionary<string, string[]>? Errors);

/// <summary>
/// The template step of <c>POST /messages</c> and each message of a batch, before the intake: the
/// message's content rendered from its template, and for each <c>to</c> recipient with its own
/// variables a body of its own (an <see cref="IncomingMessage.Variants"/> entry, which the intake
/// stores and delivery signs apart). A request without a template is composed as it was.
/// </summary>
internal sealed class TemplateSends(ITemplateStore store, TemplateRenderer renderer, MessageComposer composer, TrackingSettings tracking)
{
    public TemplateRenderer Renderer => renderer;

    /// <summary>The template (pinned version or latest) and its layout's latest version; or what is missing.</summary>
    public async Task<(StoredTemplate? Template, StoredTemplate? Layout, string? Problem)> FindAsync(
        string accountId, string name, int? version, CancellationToken cancellationToken)
    {
        var template = await store.FindAsync(accountId, name, version, cancellationToken);
        if (template is null)
        {
            return (null, null, version is null
                ? $"This account has no template '{name}'."
                : $"This account has no version {version} of a template '{name}'.");
        }

        if (template.Layout is null)
        {
            return (template, null, null);
        }

        var layout = await store.FindAsync(accountId, template.Layout, null, cancellationToken);
        return layout is null
            ? (null, null, $"Template '{name}' uses the layout '{template.Layout}', which this account no longer has.")
            : (template, layout, null);
    }

    public async Task<ComposedSend> ComposeAsync(SendMessageRequest request, string id, string accountId, CancellationToken cancellationToken)
    {
        if (request.Template is not { } name)
        {
            return new ComposedSend(composer.Compose(request, id, accountId), null, null);
        }

        var (template, layout, problem) = await FindAsync(accountId, name, request.TemplateVersion, cancellationToken);
        if (problem is not null)
        {
            return Invalid(request.TemplateVersion is null ? "template" : "template_version", problem);
        }

        // The template's unsubscribe choice stands in for the send's when the send makes none.
        if (request.Unsubscribe is null && template!.Unsubscribe is { } unsubscribe)
        {
            request = request with { Unsubscribe = unsubscribe };
            if (tracking.Problem(SendMessageValidator.TrackingOf(request)) is { } cannot)
            {
                return Invalid("template", $"Template '{name}' asks for unsubscribe links: {cannot}");
            }
        }

        try
        {
            var rendered = renderer.Render(accountId, template!, layout, request.Variables);
            var message = composer.Compose(WithContent(request, rendered), id, accountId);
            var warnings = new List<string>(rendered.Warnings);
            var variants = new List<MessageVariant>();
            var taken = new HashSet<int>();
            for (var i = 0; i < (request.To?.Count ?? 0); i++)
            {
                if ((request.To as RecipientList)?.VariablesOf(i) is not { } own
                    || RecipientIndex(message, request.To![i]) is not { } index
                    || !taken.Add(index))
                {
                    continue;
                }

                var personal = renderer.Render(accountId, template!, layout, request.Variables, own);
                warnings.AddRange(personal.Warnings.Select(w => $"to[{i}]: {w}"));
                variants.Add(new MessageVariant(composer.Compose(WithContent(request, personal), id, accountId).Mime, [index]));
            }

            return new ComposedSend(message with { Variants = variants }, warnings, null);
        }
        catch (TemplateRenderException ex)
        {
            return Invalid("template", $"Template '{name}' could not be rendered: {ex.Message}");
        }
    }

    public static ProblemHttpResult RenderFailed(string name, TemplateRenderException ex) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The template could not be rendered.", detail: $"Template '{name}': {ex.Message}");

    private static ComposedSend Invalid(string field, string message) =>
        new(null, null, new Dictionary<string, string[]> { [field] = [message] });

    private static SendMessageRequest WithContent(SendMessageRequest request, RenderedTemplate rendered) =>
        request with { Subject = rendered.Subject, Html = rendered.Html, Text = rendered.Text, Template = null, TemplateVersion = null, Variables = null };

    /// <summary>The envelope recipient a <c>to</c> entry became (the composer keeps each address once; the first entry of an address wins).</summary>
    private static int? RecipientIndex(IncomingMessage message, string entry)
    {
        if (!EmailAddresses.TryParse(entry, out var mailbox, out _))
        {
            return null;
        }

        for (var k = 0; k < message.Recipients.Count; k++)
        {
            if (string.Equals(message.Recipients[k].Address, mailbox.Address, StringComparison.OrdinalIgnoreCase))
            {
                return k;
            }
        }

        return null;
    }
}
