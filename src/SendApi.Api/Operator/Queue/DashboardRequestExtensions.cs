using System.Globalization;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Operator.Queue;

/// <summary>What the mail pages' dispatchers need from a dashboard request.</summary>
internal static class DashboardRequestExtensions
{
    /// <summary>The dashboard's base path (e.g. <c>/hangfire</c>), for links and redirects.</summary>
    public static string BasePath(this DashboardContext context) => context.GetHttpContext().Request.PathBase.Value ?? "";

    /// <summary>A hidden form field with the antiforgery token the dashboard's middleware checks on every POST; empty when antiforgery is not registered.</summary>
    public static string AntiforgeryField(this DashboardContext context)
    {
        var http = context.GetHttpContext();
        if (http.RequestServices.GetService<IAntiforgery>() is not { } antiforgery)
        {
            return "";
        }

        var tokens = antiforgery.GetAndStoreTokens(http);
        return string.Create(CultureInfo.InvariantCulture,
            $"<input type=\"hidden\" name=\"{Html.E(tokens.FormFieldName)}\" value=\"{Html.E(tokens.RequestToken ?? "")}\">");
    }

    public static async Task<bool> RequireMethodAsync(this DashboardContext context, string method)
    {
        var http = context.GetHttpContext();
        if (HttpMethods.Equals(http.Request.Method, method))
        {
            return true;
        }

        http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        http.Response.Headers.Allow = method;
        await WritePlainAsync(http, $"Use {method}.");
        return false;
    }

    /// <summary>Answers a request the page cannot act on with its status and one line saying why.</summary>
    public static async Task FailAsync(this DashboardContext context, int status, string message)
    {
        var http = context.GetHttpContext();
        http.Response.StatusCode = status;
        await WritePlainAsync(http, message);
    }

    /// <summary>After an action, back to a page (303, so a reload does not post again).</summary>
    public static void RedirectTo(this DashboardContext context, string pathAndQuery)
    {
        var http = context.GetHttpContext();
        http.Response.StatusCode = StatusCodes.Status303SeeOther;
        http.Response.Headers.Location = context.BasePath() + pathAndQuery;
    }

    private static Task WritePlainAsync(HttpContext http, string message)
    {
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(message + "\n");
    }
}
