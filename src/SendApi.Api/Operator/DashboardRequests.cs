using Hangfire.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace SendApi.Api.Operator;

/// <summary>
/// Requests the Hangfire dashboard answers with a 500 when left to itself. Placed just before
/// <c>UseHangfireDashboard</c>; the dashboard still authorizes every request itself.
/// </summary>
public static class DashboardRequests
{
    private const string MetricsField = "metrics[]";

    public static IApplicationBuilder UseDashboardRequestGuards(this IApplicationBuilder app, string pathPrefix) =>
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(pathPrefix, out var rest))
            {
                await next(context);
                return;
            }

            // The stats endpoint reads the metrics it is asked for from a form, as the dashboard's
            // own polling posts them. Anything else (a GET, a JSON body) made it throw reading a
            // form that is not there; such a request now gets every metric.
            if (rest.Equals("/stats", StringComparison.OrdinalIgnoreCase) && !context.Request.HasFormContentType)
            {
                var all = new StringValues([.. DashboardMetrics.GetMetrics().Select(m => m.Name)]);
                context.Features.Set<IFormFeature>(new FormFeature(new FormCollection(new() { [MetricsField] = all })));
            }

            try
            {
                await next(context);
            }
            catch (InvalidDataException ex) when (!context.Response.HasStarted)
            {
                // A form over ASP.NET's limits (value count, key or value length), read by the
                // dashboard's commands: a bad request, not a server error.
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = StatusCodes.Status400BadRequest, Title = "The form could not be read.", Detail = ex.Message },
                });
            }
        });
}
