using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// Every error a client of the API can meet is RFC 9457 problem+json, field errors keyed by JSON
/// path, and no answer names a .NET type. The dashboard's and Swagger UI's pages stay HTML.
/// </summary>
public sealed class ProblemResponsesTests : IAsyncLifetime
{
    // A small size limit, so that a body beyond it is small too: 64 KiB * 4/3 + 1 MiB of request.
    private readonly SendApiApp _app = new(new Dictionary<string, string?> { ["Messages:MaxSizeBytes"] = "65536" });
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("SendApi.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", body, StringComparison.Ordinal);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal((int)expected, (int?)problem["status"]);
        return problem;
    }

    private Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        _admin.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static Dictionary<string, string[]> Errors(JsonObject problem) =>
        problem["errors"]!.AsObject().ToDictionary(e => e.Key, e => e.Value!.AsArray().Select(m => (string)m!).ToArray());

    [Fact]
    public async Task An_unknown_route_is_404_problem()
    {
        var problem = await ProblemAsync(await _admin.GetAsync("/no-such-thing"), HttpStatusCode.NotFound);
        Assert.Contains("/no-such-thing", (string?)problem["detail"]);
        await ProblemAsync(await _app.Client(apiKey: null).DeleteAsync("/messages/a/b/c"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_known_route_with_another_method_is_405_problem_naming_the_allowed_ones()
    {
        var response = await _admin.DeleteAsync("/messages");
        var problem = await ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["GET", "POST"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
        Assert.Contains("POST", (string?)problem["detail"]);
        Assert.Contains("GET", (string?)problem["detail"]);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415_problem()
    {
        var form = await _admin.PostAsync("/messages", new FormUrlEncodedContent(new Dictionary<string, string> { ["from"] = "a@acme.test" }));
        Assert.Contains("application/json", (string?)(await ProblemAsync(form, HttpStatusCode.UnsupportedMediaType))["detail"]);
        await ProblemAsync(await _admin.PostAsync("/webhooks", new StringContent("{}", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
    }

    /// <summary>The framework looks the charset up to transcode the body, and threw (a 500) for one it does not know.</summary>
    [Theory]
    [InlineData("foo")]
    [InlineData("utf-7")]
    [InlineData("\"x-unknown\"")]
    public async Task A_json_body_in_a_charset_the_server_does_not_read_is_415_problem_naming_it(string charset)
    {
        var content = new StringContent("""{"from":"a@acme.test","to":["b@example.test"],"text":"x"}""", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"application/json; charset={charset}");

        var problem = await ProblemAsync(await _admin.PostAsync("/messages", content), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains(charset.Trim('"'), (string?)problem["detail"]);
        Assert.Contains("UTF-8", (string?)problem["detail"]);
    }

    [Fact]
    public async Task A_chunked_body_beyond_the_request_limit_is_413_problem_saying_so()
    {
        // No Content-Length: the limit is only met while the body is read.
        var huge = new string('a', 2 * 1024 * 1024);
        var content = new StringContent($"{{\"from\":\"a@acme.test\",\"to\":[\"b@example.test\"],\"text\":\"{huge}\"}}", Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/messages") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var problem = await ProblemAsync(await _admin.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("The request body is too large.", (string?)problem["title"]);
        Assert.Contains("Messages:MaxSizeBytes", (string?)problem["detail"]);
    }

    [Fact]
    public async Task An_unknown_field_is_reported_by_its_json_path()
    {
        var top = await ProblemAsync(await PostJsonAsync("/messages", """{"from":"a@acme.test","to":["b@example.test"],"htm":"<p>x</p>"}"""), HttpStatusCode.BadRequest);
        Assert.Equal(new Dictionary<string, string[]> { ["htm"] = ["unknown field"] }, Errors(top));

        var nested = await ProblemAsync(await PostJsonAsync("/messages", """{"from":"a@acme.test","to":["b@example.test"],"text":"x","attachments":[{"filenme":"a.txt"}]}"""), HttpStatusCode.BadRequest);
        Assert.Equal(new Dictionary<string, string[]> { ["attachments[0].filenme"] = ["unknown field"] }, Errors(nested));

        var apiKey = await ProblemAsync(await PostJsonAsync("/api-keys", """{"name":"shop","acount_id":"shop"}"""), HttpStatusCode.BadRequest);
        Assert.Equal(new Dictionary<string, string[]> { ["acount_id"] = ["unknown field"] }, Errors(apiKey));
    }

    [Theory]
    [InlineData("""{"from":"a@acme.test","to":5,"text":"x"}""", "to", "must be an address, a recipient object {email, name, variables} or an array of them")]
    [InlineData("""{"from":"a@acme.test","cc":5,"text":"x"}""", "cc", "must be a string or an array of strings")]
    [InlineData("""{"from":"a@acme.test","to":[{"name":"Ann"}],"text":"x"}""", "to", "must be an address, a recipient object {email, name, variables} or an array of them")]
    [InlineData("""{"from":"a@acme.test","to":[{"emial":"a@example.test"}],"text":"x"}""", "to", "must be an address, a recipient object {email, name, variables} or an array of them")]
    [InlineData("""{"from":"a@acme.test","to":["b@example.test"],"text":"x","attachments":[{"filename":3}]}""", "attachments[0].filename", "must be a string")]
    [InlineData("""{"from":"a@acme.test","to":["b@example.test"],"text":"x","metadata":{"order":1234}}""", "metadata.order", "must be a string")]
    [InlineData("""{"from":"a@acme.test","to":["b@example.test"],"text":"x","tags":"orders"}""", "tags", "must be an array of strings")]
    [InlineData("""["a@acme.test"]""", "$", "must be an object")]
    public async Task A_value_of_the_wrong_type_is_reported_by_its_json_path(string json, string path, string message)
    {
        var problem = await ProblemAsync(await PostJsonAsync("/messages", json), HttpStatusCode.BadRequest);
        Assert.Equal(new Dictionary<string, string[]> { [path] = [message] }, Errors(problem));
    }

    /// <summary>Two parsers reading one body must not see two different messages ("last wins" for one of them).</summary>
    [Theory]
    [InlineData("/messages", """{"from":"a@acme.test","to":["b@example.test"],"text":"hello","text":"goodbye"}""", "text")]
    [InlineData("/messages", """{"from":"a@acme.test","to":["b@example.test"],"text":"x","metadata":{"order":"1","order":"2"}}""", "metadata.order")]
    [InlineData("/messages", """{"from":"a@acme.test","to":["b@example.test"],"text":"x","attachments":[{"filename":"a.txt","content":"aGk=","filename":"b.exe"}]}""", "attachments[0].filename")]
    [InlineData("/webhooks", """{"url":"https://hooks.acme.test/a","url":"https://hooks.acme.test/b","events":["message.delivered"]}""", "url")]
    public async Task Duplicate_keys_are_400_naming_the_key(string path, string json, string key)
    {
        var problem = await ProblemAsync(await PostJsonAsync(path, json), HttpStatusCode.BadRequest);
        Assert.Equal(new Dictionary<string, string[]> { [key] = ["duplicate field"] }, Errors(problem));
    }

    /// <summary>The framework's own words were "Implicit body inferred for parameter … Did you mean to use a Service instead?".</summary>
    [Fact]
    public async Task An_empty_body_is_400_saying_the_json_object_is_missing()
    {
        var problem = await ProblemAsync(await PostJsonAsync("/messages", ""), HttpStatusCode.BadRequest);

        Assert.Equal("The request has no body.", (string?)problem["title"]);
        Assert.DoesNotContain("Service", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Contains("JSON object", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_is_400_with_the_readers_message()
    {
        var problem = await ProblemAsync(await PostJsonAsync("/messages", """{"from": "a@acme.test", "to": ["""), HttpStatusCode.BadRequest);
        Assert.Equal("The request body is not valid JSON.", (string?)problem["title"]);
        Assert.Contains("BytePositionInLine", (string?)problem["detail"]);
    }

    /// <summary>A browser asks for text/html; the framework's writer declined and the 401 became a 500.</summary>
    [Fact]
    public async Task Errors_are_problem_json_whatever_the_client_accepts()
    {
        var browser = _app.Client(apiKey: null);
        browser.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        await ProblemAsync(await browser.GetAsync("/messages/0123"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await browser.GetAsync("/nowhere"), HttpStatusCode.NotFound);

        var admin = _app.Client();
        admin.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        var unknown = await admin.PostAsync("/messages", new StringContent("""{"htm":"x"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(["unknown field"], Errors(await ProblemAsync(unknown, HttpStatusCode.BadRequest))["htm"]);
    }

    [Fact]
    public async Task The_dashboard_and_swagger_ui_pages_stay_html()
    {
        var operatorClient = _app.Client(apiKey: null);
        operatorClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("op:" + SendApiApp.AdminKey)));
        var dashboard = await operatorClient.GetAsync("/hangfire/jobs/enqueued");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Equal("text/html", dashboard.Content.Headers.ContentType?.MediaType);
        Assert.Contains("SendApi queue", await dashboard.Content.ReadAsStringAsync());

        // The dashboard's login prompt keeps its challenge; the empty body it had is now a problem.
        var anonymous = await _app.Client(apiKey: null).GetAsync("/hangfire");
        await ProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString());

        var swagger = await _app.Client(apiKey: null).GetAsync("/swagger/index.html");
        Assert.Equal("text/html", swagger.Content.Headers.ContentType?.MediaType);
        Assert.Contains("swagger-ui", await swagger.Content.ReadAsStringAsync());
    }
}
