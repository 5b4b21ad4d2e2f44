using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Features.Domains;

public static class DomainsApi
{
    public static IServiceCollection AddSendApiDomains(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapDomainsApi(this IEndpointRouteBuilder app) => app;
}
