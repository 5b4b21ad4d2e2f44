using System.Security.Claims;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Api.Auth;
using SendApi.Api.Features.Tracking;
using SendApi.Api.Http;
using SendApi.Core.Templates;

namespace SendApi.Api.Features.Templates;

/// <summary>
/// <c>/templates</c>: the account's stored templates and their versions. Managing them takes a
/// full key (a read key may read them); a send key only uses them, by name, in <c>POST /messages</c>.
/// </summary>
public static class TemplatesApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static IServiceCollection AddSendApiTemplates(this IServiceCollection services)
    {
        services.AddOptions<TemplatesOptions>()
            .BindConfiguration(TemplatesOptions.Section)
            .Validate(o => o.MaxSourceLength is >= 1000 and <= 10_000_000, "Templates:MaxSourceLength (env Templates__MaxSourceLength) must be between 1000 and 10000000.")
            .Validate(o => o.MaxTags is >= 10 and <= 100_000, "Templates:MaxTags (env Templates__MaxTags) must be between 10 and 100000.")
            .Validate(o => o.MaxVariablesLength is >= 1000 and <= 10_000_000, "Templates:MaxVariablesLength (env Templates__MaxVariablesLength) must be between 1000 and 10000000.")
            .Validate(o => o.CompiledCacheSize is >= 1 and <= 1_000_000, "Templates:CompiledCacheSize (env Templates__CompiledCacheSize) must be between 1 and 1000000.")
            .Validate(o => o.MaxRenderWork is >= 10_000 and <= 1_000_000_000, "Templates:MaxRenderWork (env Templates__MaxRenderWork) must be between 10000 and 1000000000.")
            .ValidateOnStart();
        services.AddSingleton<TemplateCompiler>();
        services.AddSingleton<TemplateRenderer>();
        services.AddSingleton<TemplateSends>();
        services.AddSingleton<IValidator<TemplateRequest>, TemplateRequestValidator>();
        services.AddSingleton<IValidator<RenderTemplateRequest>, RenderTemplateRequestValidator>();
        return services;
    }

    public static RouteGroupBuilder MapTemplatesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/templates")
            .WithTags("Templates")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/", ListAsync)
            .WithName("ListTemplates")
            .WithSummary("The account's templates (each its latest version, without bodies), a page at a time")
            .WithDescription($"In name order. ?limit= takes 1-{MaxPageSize} (default {DefaultPageSize}); pass the answer's next_cursor as ?cursor= for the next page. next_cursor is null on the last page.");

        group.MapPost("/", CreateAsync)
            .WithName("CreateTemplate")
            .WithSummary("Store a template (version 1)")
            .WithDescription("Handlebars syntax: {{name}} (escaped in html), {{{name}}} (not escaped), {{#if}}, {{#unless}}, {{#each}}, {{#with}}, {{lookup}}; no partials. A source that does not compile is a 400 whose template_errors give the part, line and column. 409 when the name is taken.")
            .WithValidation<TemplateRequest>()
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/{name}", GetAsync)
            .WithName("GetTemplate")
            .WithSummary("A template's latest version")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{name}/versions/{version:int}", GetVersionAsync)
            .WithName("GetTemplateVersion")
            .WithSummary("One version of a template")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/{name}", UpdateAsync)
            .WithName("UpdateTemplate")
            .WithSummary("Store a new version of a template")
            .WithDescription("The body replaces every field; the new version is the latest + 1 and the earlier ones stay readable (and pinnable with template_version).")
            .WithValidation<TemplateRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{name}", DeleteAsync)
            .WithName("DeleteTemplate")
            .WithSummary("Delete a template and all its versions")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/render", RenderAsync)
            .WithName("RenderTemplate")
            .WithSummary("Preview: render a template with variables; nothing is sent")
            .WithValidation<RenderTemplateRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    internal static async Task<Results<Ok<ListPage<TemplateSummary>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, ClaimsPrincipal user, ITemplateStore store, CancellationToken cancellationToken)
    {
        // The cursor is the last name of the previous page.
        if (Paging.Validate(limit, MaxPageSize, cursor, TemplateNames.IsValid) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        var page = await store.ListAsync(user.AccountId(), string.IsNullOrEmpty(cursor) ? null : cursor, limit ?? DefaultPageSize, cancellationToken);
        return TypedResults.Ok(new ListPage<TemplateSummary>([.. page.Items.Select(TemplateSummary.Of)], page.NextCursor));
    }

    internal static async Task<Results<Created<TemplateDetails>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        TemplateRequest request, ClaimsPrincipal user, ITemplateStore store, TemplateCompiler compiler, TrackingSettings tracking, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.Name is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["is required."] }, title: "The request is invalid.");
        }

        if (await CheckAsync(request, request.Name, user.AccountId(), store, compiler, tracking, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        var created = await store.CreateAsync(user.AccountId(), Stored(request, request.Name, time), cancellationToken);
        return created is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A template of that name exists.",
                detail: $"This account has a template '{request.Name}'; PUT /templates/{request.Name} stores a new version of it.")
            : TypedResults.Created($"/templates/{created.Name}", TemplateDetails.Of(created));
    }

    internal static async Task<Results<Ok<TemplateDetails>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string name, TemplateRequest request, ClaimsPrincipal user, ITemplateStore store, TemplateCompiler compiler, TrackingSettings tracking, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.Name is not null && request.Name != name)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [$"must be '{name}', as in the URL, or left out (a template is not renamed)."] }, title: "The request is invalid.");
        }

        if (!TemplateNames.IsValid(name))
        {
            return NotFound(name);
        }

        if (await CheckAsync(request, name, user.AccountId(), store, compiler, tracking, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        return await store.AddVersionAsync(user.AccountId(), Stored(request, name, time), cancellationToken) is { } added
            ? TypedResults.Ok(TemplateDetails.Of(added))
            : NotFound(name);
    }

    internal static async Task<Results<Ok<TemplateDetails>, ProblemHttpResult>> GetAsync(
        string name, ClaimsPrincipal user, ITemplateStore store, CancellationToken cancellationToken) =>
        TemplateNames.IsValid(name) && await store.FindAsync(user.AccountId(), name, null, cancellationToken) is { } found
            ? TypedResults.Ok(TemplateDetails.Of(found))
            : NotFound(name);

    internal static async Task<Results<Ok<TemplateDetails>, ProblemHttpResult>> GetVersionAsync(
        string name, int version, ClaimsPrincipal user, ITemplateStore store, CancellationToken cancellationToken) =>
        TemplateNames.IsValid(name) && version >= 1 && await store.FindAsync(user.AccountId(), name, version, cancellationToken) is { } found
            ? TypedResults.Ok(TemplateDetails.Of(found))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Template version not found.",
                detail: $"This account has no version {version} of a template '{name}'.");

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name, ClaimsPrincipal user, ITemplateStore store, CancellationToken cancellationToken) =>
        TemplateNames.IsValid(name) && await store.DeleteAsync(user.AccountId(), name, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(name);

    internal static async Task<Results<Ok<RenderTemplateResponse>, ProblemHttpResult>> RenderAsync(
        string name, RenderTemplateRequest request, ClaimsPrincipal user, TemplateSends sends, CancellationToken cancellationToken)
    {
        if (!TemplateNames.IsValid(name))
        {
            return NotFound(name);
        }

        var (template, layout, problem) = await sends.FindAsync(user.AccountId(), name, request.Version, cancellationToken);
        if (problem is not null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Template not found.", detail: problem);
        }

        try
        {
            var rendered = sends.Renderer.Render(user.AccountId(), template!, layout, request.Variables);
            return TypedResults.Ok(new RenderTemplateResponse(template!.Name, template.Version, rendered.Subject, rendered.Html, rendered.Text, rendered.Warnings));
        }
        catch (TemplateRenderException ex)
        {
            return TemplateSends.RenderFailed(name, ex);
        }
    }

    /// <summary>The sources compile and the layout exists; or the 400.</summary>
    private static async Task<ValidationProblem?> CheckAsync(
        TemplateRequest request, string name, string accountId, ITemplateStore store, TemplateCompiler compiler, TrackingSettings tracking, CancellationToken cancellationToken)
    {
        var locations = new[] { (TemplateParts.Subject, request.Subject), (TemplateParts.Html, request.Html), (TemplateParts.Text, request.Text) }
            .Where(p => p.Item2 is not null)
            .Select(p => compiler.Check(p.Item1, p.Item2!))
            .OfType<TemplateSyntaxError>()
            .ToList();
        var errors = locations.ToDictionary(e => e.Part, e => new[] { e.ToString() });
        if (request.Layout == name)
        {
            errors["layout"] = ["must name another template, not this one."];
        }
        else if (request.Layout is not null && await store.FindAsync(accountId, request.Layout, null, cancellationToken) is null)
        {
            errors["layout"] = [$"this account has no template '{request.Layout}'; create the layout first."];
        }

        // Refused now rather than at every send: this server cannot give the links it asks for.
        if (request.Unsubscribe == true && tracking.Problem(new TrackingChoice(true, null, null)) is { } problem)
        {
            errors["unsubscribe"] = [problem];
        }

        if (errors.Count == 0)
        {
            return null;
        }

        return TypedResults.ValidationProblem(errors, title: "The template is invalid.", extensions: new Dictionary<string, object?>
        {
            ["template_errors"] = locations.Select(e => new TemplateErrorLocation(e.Part, e.Line, e.Column, e.Message)).ToList(),
        });
    }

    private static StoredTemplate Stored(TemplateRequest request, string name, TimeProvider time) =>
        new(name, 0, request.Subject, request.Html, request.Text, request.Layout, time.GetUtcNow(), request.Unsubscribe);

    private static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Template not found.", detail: $"This account has no template '{name}'.");
}
