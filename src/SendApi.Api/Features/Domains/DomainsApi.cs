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
using SendApi.Api.Features.Domains.Verification;
using SendApi.Api.Http;
using SendApi.Core.Domains;
using SendApi.Delivery.Dkim;

namespace SendApi.Api.Features.Domains;

public static partial class DomainsApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    /// <summary>
    /// The domains API's settings (the DNS records it suggests, verification) and validator, and
    /// the verification it runs on request and the send-time check of the From domain read.
    /// Signing with the domains' keys belongs to delivery: <see cref="DkimServiceCollectionExtensions.AddSendApiDkimSigning"/>;
    /// the periodic re-check is started by <see cref="AddSendApiDomainRecheck"/>.
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
            .Validate(o => DomainsOptions.IsValidVerifyInterval(o.VerifyInterval),
                "Domains:VerifyInterval (env Domains__VerifyInterval, default 1h) must be a duration from 1m to 7d, such as 30m or 6h.")
            .ValidateOnStart();
        services.AddScoped<IValidator<CreateDomainRequest>, CreateDomainValidator>();
        services.AddSingleton<DnsRecordChecker>();
        services.AddSingleton<SenderDomainStanding>();
        services.AddSingleton<IDomainChangeListener>(sp => sp.GetRequiredService<SenderDomainStanding>());
        services.AddSingleton<DomainVerifier>();
        return services;
    }

    /// <summary>
    /// The periodic re-check of every domain's DNS records, every <c>Domains__VerifyInterval</c>:
    /// a Hangfire recurring job, run by the delivery job server (it takes the "default" queue).
    /// </summary>
    public static IServiceCollection AddSendApiDomainRecheck(this IServiceCollection services)
    {
        services.AddTransient<DomainRecheckJob>();
        services.AddHostedService<DomainRecheckSchedule>();
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
            .WithDescription("Generates the domain's DKIM key (RSA-2048) and returns the DNS records to publish: the DKIM key, SPF, the return path's MX (with Delivery:ReturnPathDomain) and DMARC. Mail whose From address is at the domain is DKIM-signed from then on. The domain belongs to the API key's account. Once the records are published, POST /domains/{name}/verify checks them.")
            .WithValidation<CreateDomainRequest>()
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/", ListAsync)
            .WithName("ListDomains")
            .WithSummary("The account's sender domains, oldest first, a page at a time")
            .WithDescription($"?limit= takes 1-{MaxPageSize} (default {DefaultPageSize}); pass the answer's next_cursor as ?cursor= for the next page (null on the last page).");

        group.MapGet("/{name}", GetAsync)
            .WithName("GetDomain")
            .WithSummary("A sender domain, its DNS records and how they stood when last checked")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/verify", VerifyAsync)
            .WithName("VerifyDomain")
            .WithSummary("Check the domain's DNS records now")
            .WithDescription("Asks DNS (uncached) for each record of dns_records and answers the domain with each record's status: verified, missing, mismatch (with what was found), or error when DNS did not answer (SERVFAIL, timeout; a record verified before still counts). Every domain is also checked again every Domains:VerifyInterval (1h by default). Mail from a domain that is not verified is sent with a 'warning' event, or refused (403) with Domains:RequireVerified.")
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
        return TypedResults.Created($"/domains/{domain.Name}", DomainDnsRecords.Details(domain, options.Value, verification: null));
    }

    internal static async Task<Results<Ok<ListPage<DomainDetails>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, ClaimsPrincipal user, IDomainStore domains, IOptions<DomainsOptions> options, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, MaxPageSize, cursor, c => Paging.IsPosition(c, n => DomainNames.TryNormalize(n, out var d) && d == n)) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        var account = user.AccountId();
        var verifications = await domains.ListVerificationsAsync(account, cancellationToken);
        return TypedResults.Ok(Paging.Slice(
            await domains.ListAsync(account, cancellationToken), d => d.CreatedAt, d => d.Name, newestFirst: false, limit ?? DefaultPageSize, cursor,
            d => DomainDnsRecords.Details(d, options.Value, verifications.GetValueOrDefault(d.Name))));
    }

    internal static async Task<Results<Ok<DomainDetails>, ProblemHttpResult>> GetAsync(
        string name, ClaimsPrincipal user, IDomainStore domains, IOptions<DomainsOptions> options, CancellationToken cancellationToken)
    {
        var domain = await FindAsync(name, user, domains, cancellationToken);
        return domain is null
            ? NotFound(name)
            : TypedResults.Ok(DomainDnsRecords.Details(domain, options.Value, await domains.FindVerificationAsync(domain.AccountId, domain.Name, cancellationToken)));
    }

    internal static async Task<Results<Ok<DomainDetails>, ProblemHttpResult>> VerifyAsync(
        string name, ClaimsPrincipal user, IDomainStore domains, DomainVerifier verifier, IOptions<DomainsOptions> options, CancellationToken cancellationToken)
    {
        var domain = await FindAsync(name, user, domains, cancellationToken);
        return domain is null
            ? NotFound(name)
            : TypedResults.Ok(DomainDnsRecords.Details(domain, options.Value, await verifier.VerifyAsync(domain, cancellationToken)));
    }

    /// <summary>Another account's domain is indistinguishable from an unregistered one.</summary>
    private static async Task<SenderDomain?> FindAsync(string name, ClaimsPrincipal user, IDomainStore domains, CancellationToken cancellationToken) =>
        DomainNames.TryNormalize(name, out var normalized)
            ? await domains.FindAsync(user.AccountId(), normalized, cancellationToken)
            : null;

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

    // Log event ids 1300–1309 of the domains block 1300–1399 (DomainVerifier has 1310–1319, DomainRecheckJob 1320–1329; see docs/logging.md); next free: 1303.
    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Account {AccountId} registered sender domain {Domain} (DKIM selector {Selector})")]
    private static partial void LogRegistered(ILogger logger, string accountId, string domain, string selector);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Account {AccountId} deleted sender domain {Domain} and its DKIM key")]
    private static partial void LogDeleted(ILogger logger, string accountId, string domain);
}
