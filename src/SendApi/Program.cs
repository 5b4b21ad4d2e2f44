using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using SendApi;
using SendApi.Api;
using SendApi.Api.Auth;
using SendApi.Api.Auth.RateLimits;
using SendApi.Api.Features.ApiKeys;
using SendApi.Api.Features.Captured;
using SendApi.Api.Features.Compat;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Inbound;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Stats;
using SendApi.Api.Features.Submission;
using SendApi.Api.Features.Suppressions;
using SendApi.Api.Features.Templates;
using SendApi.Api.Features.Tracking;
using SendApi.Api.Features.Webhooks;
using SendApi.Api.Http;
using SendApi.Delivery;
using SendApi.Delivery.Dkim;
using SendApi.Hosting;
using SendApi.Storage;
using SendApi.Webhooks;

// `--healthcheck`: not the server, a probe of the one running (container health checks have no curl).
if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

// Settings: a key SendApi doesn't know under one of its own sections (a typo, a list given as one
// value) stops the start, naming it, instead of being silently ignored.
builder.Services.AddOptions<SettingsCheck.Marker>().ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<SettingsCheck.Marker>, SettingsCheck>();

// Storage: every store, on Redis when ConnectionStrings__Redis is set or embedded in memory, and
// Hangfire's job storage beside them. Its health check is what /health/ready asks.
builder.Services.AddSendApiStorage();

// Hangfire on that storage, for enqueueing jobs. The two servers that run jobs are added below,
// each with the work it runs: delivery and webhooks.
builder.Services.AddSendApiHangfire();

// HTTP: JSON and problem+json for every feature; API keys (Bearer) as the only credential. At
// start, the admin key follows Admin__ApiKey (an embedded instance without one generates one).
builder.Services.AddSendApiHttp();
builder.Services.AddSendApiAuthentication();
builder.Services.AddSendApiRateLimits();
builder.Services.AddSendApiKeyUsageRecorder();

// Messages: the limits, and the intake every channel feeds (suppression list, atomic accept,
// wake delivery). POST /messages composes its JSON into MIME for it.
builder.Services.AddSendApiMessages();
// Unsubscribe links and open/click tracking: the intake's per-recipient step and the public links
// (/u, /o, /c) that record what recipients do, signed with a key shared through the store.
builder.Services.AddSendApiTracking();
// A maximum-size message arrives as base64 inside JSON, a third larger than the message itself.
builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<MessagesOptions>>(
    (kestrel, messages) => kestrel.Limits.MaxRequestBodySize = messages.Value.MaxRequestBodyBytes);

// The other HTTP features, each with its options and validators; their endpoints are mapped below.
builder.Services.AddSendApiApiKeys();
builder.Services.AddSendApiDomains();
builder.Services.AddSendApiSuppressions();
builder.Services.AddSendApiTemplates();
builder.Services.AddSendApiWebhooks();
builder.Services.AddSendApiCaptured();
// Resend's, Postmark's and SendGrid's sending APIs under Compat__*Prefix, onto the same intake.
builder.Services.AddSendApiCompat();

// SMTP: the engine (sessions on Kestrel connections, with our limits and TLS certificate) and the
// one handler it calls, which gives each listener to its feature: submission on 587 and 465
// feeds the message intake; inbound on 25 records bounces, complaints and replies.
builder.Services.AddSendApiSmtpServer();
builder.Services.AddSendApiSmtpHandler();
builder.Services.AddSendApiSubmission();
builder.Services.AddSendApiInbound();

// Delivery: MX routing, the SMTP connection pool, capture mode, throttling, retries, return-path
// signing (its key is loaded at start), and DKIM with the registered domains' keys. What runs: the
// pump (every instance) keeps a delivery job enqueued whenever mail is due, and a Hangfire server
// runs the jobs with Delivery__Workers workers; each job claims due mail itself when it starts.
// See docs/architecture.md.
builder.Services.AddSendApiDelivery();
builder.Services.AddSendApiDkimSigning();
builder.Services.AddSendApiDeliveryPump();
// Every instance beats in the store; a dead one's claims and domain slots are taken over when its
// heartbeat lapses (Delivery__InstanceTimeout), not after the 2-minute lease.
builder.Services.AddSendApiInstanceHeartbeat();
builder.Services.AddDeliveryJobServer();

// Sender domains' DNS records checked again every Domains__VerifyInterval: a Hangfire recurring
// job, on the "default" queue the delivery job server also takes.
builder.Services.AddSendApiDomainRecheck();

// Webhooks: signed requests through the SSRF-guarded client. What runs: the dispatcher (every
// instance) moves events from the outbox into webhook jobs, and a Hangfire server of their own
// runs those with Webhooks__Workers workers, so a slow endpoint never holds a delivery worker.
builder.Services.AddSendApiWebhookDelivery();
builder.Services.AddSendApiWebhookDispatcher();
builder.Services.AddWebhookJobServer();

// Operating it: the OpenAPI document and Swagger UI, health checks, antiforgery (Hangfire's
// dashboard protects its buttons with it when registered), and once the listeners are bound, a
// summary of what this instance offers and where.
builder.Services.AddSendApiOpenApi();
builder.Services.AddHealthChecks();
builder.Services.AddAntiforgery();
// Metrics: every component counts on one meter, exported for Prometheus at Metrics__Path.
builder.Services.AddSendApiMetrics();
builder.Services.AddHostedService<StartupSummary>();

// Every listening socket, from the settings: HTTP, and SMTP on 587, 465 and 25.
builder.AddSendApiListeners();

// A setting the binder would ignore or fail on, as given on the command line or in the environment.
if (SettingsCheck.Problems(builder.Configuration) is [_, ..] unknown)
{
    if (!RunsAsProgram())
    {
        throw new OptionsValidationException(nameof(SettingsCheck), typeof(SettingsCheck.Marker), unknown);
    }

    foreach (var problem in unknown)
    {
        await Console.Error.WriteLineAsync(problem);
    }

    return 1;
}

// Every setting is checked before anything starts (building the host reads some of them already): a
// bad one stops the start with one line each, naming its environment variable, not a stack trace.
WebApplication app;
try
{
    app = builder.Build();
    app.Services.GetService<IStartupValidator>()?.Validate();
}
catch (Exception invalid) when (invalid is OptionsValidationException || invalid is AggregateException { InnerExceptions: var all } && all.All(e => e is OptionsValidationException))
{
    // A host that runs this entry point itself (the tests' WebApplicationFactory) must see the failure.
    if (!RunsAsProgram())
    {
        throw;
    }

    // Several options classes failing arrive together, as an AggregateException.
    var failures = invalid is AggregateException many ? many.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures) : ((OptionsValidationException)invalid).Failures;
    foreach (var failure in failures)
    {
        await Console.Error.WriteLineAsync(failure);
    }

    return 1;
}

var storage = app.Services.GetRequiredService<StorageMode>();
if (!storage.IsRedis)
{
    StartupLog.EmbeddedMode(app.Logger);
}
else
{
    StartupLog.RedisMode(app.Logger, storage.Description);
}

StartupLog.WarnIfHostNameIsNotQualified(app.Logger, app.Services.GetRequiredService<IOptions<DeliveryOptions>>().Value.HeloName);

// Every request: errors as problem+json (a body over the limit too), then the API key.
app.UseExceptionHandler();
app.UseStatusCodeProblems();
app.UseRequestSizeProblems();
app.UseAuthentication();
app.UseAuthorization();
app.UseSendApiRateLimits();

// The HTTP features' endpoints, a route group each.
app.MapMessagesApi();
app.MapApiKeysApi();
app.MapWebhooksApi();
app.MapDomainsApi();
app.MapSuppressionsApi();
app.MapTemplatesApi();
app.MapInboundApi();
app.MapCapturedApi();
app.MapStatsApi();
app.MapCompatApis();
app.MapTrackingApi();

// /health/live: the process is up; /health/ready: and its storage answers. Neither reads an API
// key, so /health/live never touches the store (keys live there), whatever a prober sends.
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).WithoutAuthentication();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).WithoutAuthentication();

// /metrics: Prometheus text, for an admin key unless Metrics__AllowAnonymous=true.
app.MapSendApiMetrics();

// The pages: Swagger UI at /swagger, the queue at /hangfire (captured mail is mapped with its feature).
app.UseSendApiOpenApi();
app.UseQueueDashboard("/hangfire");

// A port that can't be had (below 1024 without root, or taken) stops the start with one line
// naming it and its setting, not the host's stack trace.
if (app.Services.GetRequiredService<ListenerPlan>().FirstUnavailable() is { } unavailable)
{
    await Console.Error.WriteLineAsync(unavailable);
    return 1;
}

// Storage__Durability=fsync on a Redis that does not fsync every write (and cannot be asked to
// wait for it) stops the start the same way: an acknowledgement must not promise what it can't keep.
if (await app.Services.StorageDurabilityProblemAsync() is { } durability)
{
    await Console.Error.WriteLineAsync(durability);
    return 1;
}

await app.RunAsync();
return 0;

/// <summary>The entry point, public for WebApplicationFactory in the integration tests.</summary>
public partial class Program
{
    /// <summary>
    /// Started as the program (<c>dotnet SendApi.dll</c>), not run by another host such as a test's
    /// WebApplicationFactory: only then is a bad setting printed as one line and an exit code
    /// instead of an exception for that host.
    /// </summary>
    private static bool RunsAsProgram() => System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly;
}
