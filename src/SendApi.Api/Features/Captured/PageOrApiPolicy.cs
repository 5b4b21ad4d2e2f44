using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using SendApi.Api.Operator;

namespace SendApi.Api.Features.Captured;

/// <summary>
/// The captured mail page and the JSON API share their paths (<c>/captured</c>,
/// <c>/captured/{id}</c>, …), so that the URL a newcomer is told to open is the one the API
/// documents. Where both have an endpoint for a request, the request's credentials decide:
/// <list type="bullet">
/// <item><c>Authorization: Bearer</c> (an API key): the JSON API.</item>
/// <item><c>Authorization: Basic</c> (the operator login, as for /hangfire): the page.</item>
/// <item>no credentials: the page when the client accepts <c>text/html</c> (a browser, which
/// then gets the Basic login prompt), else the API (whose 401 asks for a Bearer key).</item>
/// </list>
/// Paths that only one side has (DELETE, the page's HTML body frame) are left to routing.
/// </summary>
internal sealed class PageOrApiPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    /// <summary>Endpoint metadata that marks an endpoint as the page's.</summary>
    public static readonly object Page = new PageMarker();

    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<PageMarker>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        bool pages = false, apis = false;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
            {
                continue;
            }

            if (IsPage(candidates[i].Endpoint))
            {
                pages = true;
            }
            else
            {
                apis = true;
            }
        }

        if (!pages || !apis)
        {
            return Task.CompletedTask;
        }

        var wantsPage = WantsPage(httpContext.Request);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && IsPage(candidates[i].Endpoint) != wantsPage)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    internal static bool WantsPage(HttpRequest request) =>
        request.Headers.Authorization.Count > 0
            ? DashboardAuthorization.IsBasic(request)
            : request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static bool IsPage(Endpoint endpoint) => endpoint.Metadata.GetMetadata<PageMarker>() is not null;

    private sealed class PageMarker;
}
