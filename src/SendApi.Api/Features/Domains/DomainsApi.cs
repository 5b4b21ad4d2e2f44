using System.Security.Claims;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Http;
using SendApi.Core.Domains;
using SendApi.Delivery.Dkim;

namespace SendApi.Api.Features.Domains;

public static partial class DomainsApi
{
    /// <summary>
    /// The domains API's settings (the DNS records it suggests) and validator. Signing with the
    /// domains' keys belongs to delivery: <see cref="DkimServiceCollectionExtensions.AddSendApiDkimSigning"/>.
    /// </summary>
    public static IServiceCollection AddSendApiDomains(this IServiceCollection services)
    {
        services.AddOptions<DomainsOptions>()
            .BindConfiguration(DomainsOptions.Section)
            .PostConfigure<IConfiguration>((o, config) =>
            {
                o.MailHost = config["Delivery:HeloName"] ?? System.Net.Dns.GetHostName();
                o.SpfInclude ??= "spf." + o.MailHost;
                o.ReturnPathDomain = config["Delivery:ReturnPathDomain"] is { Length: > 0 } returnPath ? returnPath : null;
            })
            .Validate(o => DomainsOptions.IsDnsName(o.SpfInclude),
                "Domains:SpfInclude (env Domains__SpfInclude, default spf.<Delivery__HeloName>) must be a domain name such as spf.example.com.")
            .ValidateOnStart();
        services.AddScoped<IValidator<CreateDomainRequest>, CreateDomainValidator>();
        return services;
    }

    public static RouteGroupBuilder MapDomainsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/domains")
            .WithTags("Domains")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/", CreateAsync)
            .WithName("CreateDomain")
            .WithSummary("Register a sender domain")
            .WithDescription("Generates the domain's DKIM key (RSA-2048) and returns the DNS records to publish: the DKIM key, SPF and the return path's MX. Mail whose From address is at the domain is DKIM-signed from then on. The domain belongs to the API key's account.")
            .WithValidation<CreateDomainRequest>()
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/", ListAsync)
            .WithName("ListDomains")
            .WithSummary("The account's sender domains");

        group.MapGet("/{name}", GetAsync)
            .WithName("GetDomain")
            .WithSummary("A sender domain and its DNS records")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{name}", DeleteAsync)
            .WithName("DeleteDomain")
            .WithSummary("Remove a sender domain; its mail is no longer signed and its key is deleted")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    internal static async Task<Results<Created<DomainDetails>, ProblemHttpResult>> CreateAsync(
        CreateDomainRequest request,
        ClaimsPrincipal user,
        IDomainStore domains,
        [FromServices] IEnumerable<IDomainChangeListener> listeners,
        IOptions<DomainsOptions> options,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        // The validator accepted it, so it normalizes.
        DomainNames.TryNormalize(request.Name, out var name);
        var account = user.AccountId();
        var now = time.GetUtcNow();
        var domain = new SenderDomain(account, name!, now, DkimKey.Generate(now));
        if (!await domains.AddAsync(domain, cancellationToken))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "The domain is already registered.",
                detail: $"This account already has '{name}'. To replace its key, DELETE /domains/{name} and register it again.");
        }

        Notify(listeners, account, domain.Name);
        LogRegistered(loggers.CreateLogger(typeof(DomainsApi)), account, domain.Name, domain.Dkim.Selector);
        return TypedResults.Created($"/domains/{domain.Name}", DomainDnsRecords.Details(domain, options.Value));
    }

    internal static async Task<Ok<DomainDetails[]>> ListAsync(
        ClaimsPrincipal user, IDomainStore domains, IOptions<DomainsOptions> options, CancellationToken cancellationToken) =>
        TypedResults.Ok((await domains.ListAsync(user.AccountId(), cancellationToken)).Select(d => DomainDnsRecords.Details(d, options.Value)).ToArray());

    internal static async Task<Results<Ok<DomainDetails>, ProblemHttpResult>> GetAsync(
        string name, ClaimsPrincipal user, IDomainStore domains, IOptions<DomainsOptions> options, CancellationToken cancellationToken)
    {
        // Another account's domain is indistinguishable from an unregistered one.
        var domain = DomainNames.TryNormalize(name, out var normalized)
            ? await domains.FindAsync(user.AccountId(), normalized, cancellationToken)
            : null;
        return domain is null ? NotFound(name) : TypedResults.Ok(DomainDnsRecords.Details(domain, options.Value));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name,
        ClaimsPrincipal user,
        IDomainStore domains,
        [FromServices] IEnumerable<IDomainChangeListener> listeners,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var account = user.AccountId();
        if (!DomainNames.TryNormalize(name, out var normalized) || !await domains.DeleteAsync(account, normalized, cancellationToken))
        {
            return NotFound(name);
        }

        Notify(listeners, account, normalized);
        LogDeleted(loggers.CreateLogger(typeof(DomainsApi)), account, normalized);
        return TypedResults.NoContent();
    }

    private static void Notify(IEnumerable<IDomainChangeListener> listeners, string account, string name)
    {
        foreach (var listener in listeners)
        {
            listener.DomainChanged(account, name);
        }
    }

    private static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Domain not found.",
            detail: $"No sender domain '{name}' for this API key's account.");

    // Log event ids 1300–1399 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1303.
    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Account {AccountId} registered sender domain {Domain} (DKIM selector {Selector})")]
    private static partial void LogRegistered(ILogger logger, string accountId, string domain, string selector);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Account {AccountId} deleted sender domain {Domain} and its DKIM key")]
    private static partial void LogDeleted(ILogger logger, string accountId, string domain);
}
