using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Features.Webhooks;

public static class WebhooksApi
{
    public static IServiceCollection AddSendApiWebhooks(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app) => app;
}
