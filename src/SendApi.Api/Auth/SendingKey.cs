using SendApi.Core.Accounts;

namespace SendApi.Api.Auth;

/// <summary>
/// The API key a message is sent with, as the intake applies it whatever the channel: the From
/// domains it may send as (none listed: any) and whether its mail is captured (sandbox).
/// </summary>
/// <param name="KeyId">Recorded on the message, so a <c>send</c>-scoped key reads only what it sent.</param>
public sealed record SendingKey(string KeyId, IReadOnlyList<string> Domains, bool Sandbox)
{
    public static SendingKey Of(ApiKey key) => new(key.Id, key.Domains ?? [], key.Sandbox);

    public bool MaySendAs(string? domain) => Domains.Count == 0 || (domain is not null && Domains.Contains(domain, StringComparer.Ordinal));
}
