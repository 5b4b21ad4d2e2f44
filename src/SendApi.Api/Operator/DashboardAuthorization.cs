using System.Net.Http.Headers;
using System.Text;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Accounts;

namespace SendApi.Api.Operator;

/// <summary>
/// The operator pages (the Hangfire dashboard, the captured mail page) take HTTP Basic
/// authentication with an admin API key as the password (any user name). A browser shows its
/// login prompt because of the WWW-Authenticate header.
/// </summary>
public sealed class DashboardAuthorization : IDashboardAsyncAuthorizationFilter
{
    public Task<bool> AuthorizeAsync(DashboardContext context) => AuthorizeAsync(context.GetHttpContext());

    /// <summary>True for an admin key; otherwise false, with the Basic challenge set on the response.</summary>
    public static async Task<bool> AuthorizeAsync(HttpContext http)
    {
        if (AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header)
            && string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            && TryPassword(header.Parameter, out var password))
        {
            var keys = http.RequestServices.GetRequiredService<IApiKeyStore>();
            if (await keys.FindBySecretAsync(password, http.RequestAborted) is { IsAdmin: true })
            {
                return true;
            }
        }

        http.Response.Headers.WWWAuthenticate = "Basic realm=\"SendApi operators\", charset=\"UTF-8\"";
        return false;
    }

    /// <summary>Whether the request carries Basic credentials (an operator's browser, not an API client).</summary>
    public static bool IsBasic(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);

    private static bool TryPassword(string? parameter, out string password)
    {
        password = "";
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter ?? ""));
            var colon = decoded.IndexOf(':');
            password = colon >= 0 ? decoded[(colon + 1)..] : "";
            return password.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
