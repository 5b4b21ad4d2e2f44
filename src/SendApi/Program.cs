using Hangfire;
using Hangfire.AspNetCore;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using SendApi;
using SendApi.Api;
using SendApi.Api.Features.Messages;
using SendApi.Api.Http;
using SendApi.Api.Operator;
using SendApi.Delivery;
using SendApi.Hosting;
using SendApi.Storage;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSendApiStorage();
builder.Services.AddSendApiDelivery();
builder.Services.AddSendApiHttp();
builder.AddSendApiListeners();

// Each host activates its jobs from its own container. Left to AddHangfire, the activator would be
// the process-wide JobActivator.Current, which every host's configuration callback below overwrites
// when its app is built, and which is read only later, when the Hangfire server starts: with several
// hosts in one process, a host built in between would get this host's jobs, and a delivery job would
// look for its claims in that host's queue, find none, and leave the message queued. Registered
// before AddHangfire, which only adds its own if none is.
builder.Services.AddSingleton<JobActivator>(services => new AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()));
builder.Services.AddHangfire((services, hangfire) => hangfire
    .UseLogProvider(new HangfireLogProvider(services.GetRequiredService<ILoggerFactory>()))
    .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
    .UseSimpleAssemblyNameTypeSerializer()
    .UseRecommendedSerializerSettings()
    .UseStorage(services.GetRequiredService<JobStorage>()));
builder.Services.AddHangfireServer((services, server) =>
{
    server.Queues = [DeliveryJob.Queue, "default"];
    server.WorkerCount = services.GetRequiredService<IOptions<DeliveryOptions>>().Value.Workers;
});

// A maximum-size message arrives as base64 inside JSON, a third larger than the message itself.
builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<MessagesOptions>>(
    (kestrel, messages) => kestrel.Limits.MaxRequestBodySize = messages.Value.MaxRequestBodyBytes);

builder.Services.AddHealthChecks();
builder.Services.AddHostedService<StartupSummary>();
// Hangfire's dashboard protects its buttons (delete, requeue) with antiforgery tokens when this is registered.
builder.Services.AddAntiforgery();
builder.Services.AddSendApiOpenApi();

var app = builder.Build();

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

app.UseExceptionHandler();
app.UseStatusCodeProblems();
app.UseRequestSizeProblems();
app.UseAuthentication();
app.UseAuthorization();

app.MapSendApiHttp();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
app.UseSendApiOpenApi();
app.UseDashboardRequestGuards("/hangfire");
app.UseHangfireDashboard("/hangfire", new DashboardOptions
{
    // The default filter admits local requests only; we require an admin key from everyone instead.
    Authorization = [],
    AsyncAuthorization = [new DashboardAuthorization()],
    DashboardTitle = "SendApi queue",
    DisplayStorageConnectionString = false,
    AppPath = null,
});

// A port that can't be had (below 1024 without root, or taken) stops the start with one line
// naming it and its setting, not the host's stack trace.
if (app.Services.GetRequiredService<ListenerPlan>().FirstUnavailable() is { } unavailable)
{
    await Console.Error.WriteLineAsync(unavailable);
    return 1;
}

await app.RunAsync();
return 0;

/// <summary>The entry point, public for WebApplicationFactory in the integration tests.</summary>
public partial class Program;
