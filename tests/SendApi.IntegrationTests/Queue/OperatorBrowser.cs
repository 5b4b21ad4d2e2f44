using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Queue;

/// <summary>
/// An operator's browser without the browser: HTTP Basic with a key, a cookie jar (the
/// antiforgery cookie) and no automatic redirects, so a test sees each answer as it is.
/// </summary>
internal sealed partial class OperatorBrowser : IDisposable
{
    private readonly HttpClient _client;

    public OperatorBrowser(SendApiApp app, string? key = SendApiApp.AdminKey)
        : this(new Uri($"http://127.0.0.1:{app.HttpPort}"), key, new CookieContainer())
    {
    }

    /// <param name="cookies">The browser's cookie jar; two browsers given the same jar are one browser's two tabs.</param>
    public OperatorBrowser(Uri baseAddress, string? key, CookieContainer cookies)
    {
        _client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
        };
        if (key is not null)
        {
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("op:" + key)));
        }
    }

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)">""")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("""<meta name="csrf-(?<name>header|token)" content="(?<value>[^"]*)">""")]
    private static partial Regex CsrfMeta();

    public async Task<string> GetPageAsync(string path)
    {
        var response = await _client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    public Task<HttpResponseMessage> GetAsync(string path) => _client.GetAsync(path);

    /// <summary>
    /// Posts a form; with <paramref name="tokenFrom"/>, the antiforgery token that page carries: its
    /// forms' hidden field, as a browser submitting one would, else the header the dashboard's script sends.
    /// </summary>
    public async Task<HttpResponseMessage> PostAsync(string path, string? tokenFrom, params (string Name, string Value)[] fields)
    {
        var form = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (tokenFrom is not null)
        {
            if (HiddenInput().Matches(tokenFrom).FirstOrDefault(m => m.Groups["name"].Value.Contains("RequestVerificationToken", StringComparison.Ordinal)) is { } field)
            {
                form.Add(new(field.Groups["name"].Value, field.Groups["value"].Value));
            }
            else
            {
                var meta = CsrfMeta().Matches(tokenFrom).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
                request.Headers.Add(meta["header"], meta["token"]);
            }
        }

        request.Content = new FormUrlEncodedContent(form);
        return await _client.SendAsync(request);
    }

    public void Dispose() => _client.Dispose();
}
