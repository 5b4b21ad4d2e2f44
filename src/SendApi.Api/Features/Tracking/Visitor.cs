using System.Net;
using Microsoft.AspNetCore.Http;

namespace SendApi.Api.Features.Tracking;

/// <summary>Who followed a link, as the request says: its User-Agent (cut to <see cref="MaxUserAgent"/>) and address.</summary>
/// <param name="Address">The peer's address. Behind a reverse proxy it is the proxy's: SendApi does not read X-Forwarded-For.</param>
internal sealed record Visitor(string? UserAgent, IPAddress? Address)
{
    public const int MaxUserAgent = 512;

    /// <summary>A mail to the mailto address: no browser, and the sending MTA's address says nothing about the person.</summary>
    public static Visitor Mail { get; } = new(null, null);

    public string? Ip => Address is null ? null : (Address.IsIPv4MappedToIPv6 ? Address.MapToIPv4() : Address).ToString();

    public static Visitor Of(HttpContext context)
    {
        var agent = context.Request.Headers.UserAgent.ToString();
        return new Visitor(agent.Length == 0 ? null : agent[..Math.Min(agent.Length, MaxUserAgent)], context.Connection.RemoteIpAddress);
    }
}
