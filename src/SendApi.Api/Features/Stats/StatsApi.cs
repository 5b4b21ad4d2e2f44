using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using SendApi.Api.Auth;
using SendApi.Core.Messages.Stats;

namespace SendApi.Api.Features.Stats;

/// <summary><c>/stats</c>: what happened to the API key's account's mail, per hour or day.</summary>
public static class StatsApi
{
    public static RouteGroupBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/stats")
            .WithTags("Stats")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/", ReadAsync)
            .WithName("GetStats")
            .WithSummary("Counts per event type and delivery-latency percentiles, per hour or day")
            .WithDescription($"?interval=hour|day (default day, UTC); ?since= and ?until= (RFC 3339; default the last 24 hours or 7 days) are widened to whole intervals, at most {StatsLimits.Retention.TotalDays:0} days apart (counters are kept {StatsLimits.Retention.TotalDays:0} days). ?tag= counts only messages with that tag, ?domain= only recipients at that domain; not both. Past {StatsLimits.MaxFieldsPerHour} counters per account and hour, new tags and domains are counted under '{StatsLimits.Other}'.");

        return group;
    }

    internal static async Task<Results<Ok<StatsReport>, ValidationProblem>> ReadAsync(
        string? since, string? until, string? tag, string? domain, string? interval,
        ClaimsPrincipal user, IMessageStats stats, TimeProvider time, CancellationToken cancellationToken)
    {
        var request = new StatsRequest(since, until, tag, domain, interval);
        if (request.ToQuery(user.AccountId(), time.GetUtcNow(), out var errors) is not { } asked)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        var (query, step) = asked;
        var hours = await stats.ReadAsync(query, cancellationToken);
        var periods = hours
            .GroupBy(h => query.Start + ((h.Start - query.Start).Ticks / step.Ticks * step))
            .Select(g => StatsPeriod.Of(g.Key, g.Key + step, [.. g]))
            .ToList();
        return TypedResults.Ok(new StatsReport(
            step == TimeSpan.FromHours(1) ? StatsRequest.Hour : StatsRequest.Day,
            query.Start, query.End, query.Tag, query.Domain, periods,
            StatsPeriod.Of(query.Start, query.End, hours)));
    }
}
