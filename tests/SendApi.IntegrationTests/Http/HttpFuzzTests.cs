using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using SendApi.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// A seeded fuzz pass over every route the application maps (read from its EndpointDataSource, so
/// a new route is covered without touching this file): hostile path parameters, query parameters,
/// headers and JSON bodies (each field replaced by wrong types, huge strings, line breaks, nulls,
/// nested objects; duplicate and unknown keys; bodies that are not the request). No answer may be
/// a 5xx, and every error must be problem+json that names no .NET type. The seed is printed and can
/// be set with SENDAPI_FUZZ_SEED to replay a failure.
/// </summary>
public abstract class HttpFuzzTests(DeliveryWorld world, ITestOutputHelper output) : OnBothStorages(world)
{
    private const int DefaultSeed = 170_010;

    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("SENDAPI_FUZZ_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    private Dictionary<string, string> _validIds = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _validIds = await CreateFixturesAsync();
    }

    // The fuzz's webhooks point at a closed loopback port, or subscribe only to inbound mail
    // (none arrives here): nothing is ever sent through the machine's own DNS.
    // Tracking links are only written into mail (to nullmx.test, which takes none), never requested.
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Webhooks:AllowPrivateNetworks"] = "true";
        settings["Tracking:BaseUrl"] = "https://track.fuzz.test";
    }

    /// <summary>One thing of each kind, so that mutations start from ids that exist.</summary>
    private async Task<Dictionary<string, string>> CreateFixturesAsync()
    {
        async Task<string> CreateAsync(string path, object body, string field)
        {
            var response = await Http.PostAsJsonAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
            return (string)JsonNode.Parse(text)![field]!;
        }

        return new Dictionary<string, string>
        {
            ["messages"] = await CreateAsync("/messages", new { from = "a@acme.test", to = new[] { "bob@nullmx.test" }, text = "x" }, "id"),
            ["webhooks"] = await CreateAsync("/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "inbound.received" } }, "id"),
            ["api-keys"] = await CreateAsync("/api-keys", new { name = "fuzz" }, "id"),
            ["domains"] = await CreateAsync("/domains", new { name = "fuzz.test" }, "name"),
            ["suppressions"] = await CreateAsync("/suppressions", new { address = "gone@nullmx.test" }, "address"),
            ["layout"] = await CreateAsync("/templates", new { name = "fuzz-layout", html = "<div>{{{body}}}</div>", text = "{{{body}}}" }, "name"),
            ["templates"] = await CreateAsync("/templates", new { name = "fuzz-tpl", layout = "fuzz-layout", subject = "s {{x}}", html = "<p>{{#each items}}{{this}}{{/each}}</p>", text = "{{x}}" }, "name"),
            ["version"] = "1",
            ["inbound"] = "in_" + new string('0', 32),
            ["deliveryId"] = "msg_" + new string('0', 32),
            ["index"] = "0",
        };
    }

    /// <summary>A request body that passes validation, per request type (and route, where two take one type); the fuzz mutates it.</summary>
    private static JsonNode ValidBody(Type? requestType, string route) => requestType is { IsGenericType: true } list && list.GetGenericArguments() is [var item]
        ? new JsonArray(ValidBody(item, route), ValidBody(item, route)) // a batch: two valid messages, each fuzzed in place
        : ValidObject(requestType, route);

    private static JsonNode ValidObject(Type? requestType, string route) => requestType?.Name switch
    {
        "PostmarkEmail" when route.EndsWith("/withTemplate", StringComparison.Ordinal) => PostmarkTemplated(),
        "PostmarkTemplatedBatch" => new JsonObject { ["Messages"] = new JsonArray(PostmarkTemplated(), PostmarkTemplated()) },
        "SendMessageRequest" => JsonNode.Parse("""
            {"from":"Acme <a@acme.test>","to":["bob@nullmx.test"],"cc":["c@nullmx.test"],"bcc":["d@nullmx.test"],
             "reply_to":"r@acme.test","subject":"s","text":"t","html":"<p>h</p>","headers":{"X-Campaign":"spring"},
             "attachments":[{"filename":"a.txt","content":"aGk=","content_type":"text/plain","content_id":"logo@acme.test"}],
             "tags":["orders"],"metadata":{"order_id":"1"}}
            """)!,
        "ResendEmail" => JsonNode.Parse("""
            {"from":"Acme <a@acme.test>","to":["bob@nullmx.test"],"cc":"c@nullmx.test","reply_to":["r@acme.test"],"subject":"s",
             "text":"t","html":"<p>h</p>","headers":{"X-Campaign":"spring"},"attachments":[{"filename":"a.txt","content":"aGk=","content_type":"text/plain"}],
             "tags":[{"name":"category","value":"fuzz"}]}
            """)!,
        "PostmarkEmail" => JsonNode.Parse("""
            {"From":"Acme <a@acme.test>","To":"bob@nullmx.test, \"B, C\" <c@nullmx.test>","ReplyTo":"r@acme.test","Subject":"s","TextBody":"t",
             "HtmlBody":"<p>h</p>","Headers":[{"Name":"X-Campaign","Value":"spring"}],"Attachments":[{"Name":"a.txt","Content":"aGk=","ContentType":"text/plain","ContentID":"cid:a"}],
             "Tag":"fuzz","Metadata":{"order_id":"1"},"TrackOpens":true,"TrackLinks":"HtmlOnly","MessageStream":"outbound"}
            """)!,
        "SendGridMail" => JsonNode.Parse("""
            {"from":{"email":"a@acme.test","name":"Acme"},"subject":"s","content":[{"type":"text/plain","value":"t"},{"type":"text/html","value":"<p>h</p>"}],
             "personalizations":[{"to":[{"email":"bob@nullmx.test"}],"custom_args":{"n":"1"},"headers":{"X-A":"1"}}],
             "attachments":[{"filename":"a.txt","content":"aGk=","type":"text/plain"}],"categories":["fuzz"],"tracking_settings":{"open_tracking":{"enable":true}}}
            """)!,
        "CreateWebhookRequest" => new JsonObject { ["url"] = "http://127.0.0.1:9/hook", ["events"] = new JsonArray("inbound.received") },
        "CreateApiKeyRequest" => new JsonObject { ["name"] = "fuzz", ["account_id"] = "fuzz" },
        "CreateDomainRequest" => new JsonObject { ["name"] = "fuzz-other.test" },
        "CreateSuppressionRequest" => new JsonObject { ["address"] = "x@nullmx.test", ["reason"] = "manual", ["detail"] = "d" },
        "TemplateRequest" => new JsonObject { ["subject"] = "s {{x}}", ["html"] = "<p>{{x}}</p>", ["text"] = "{{x}}", ["layout"] = "fuzz-layout" },
        "RenderTemplateRequest" => JsonNode.Parse("""{"variables":{"x":"1","items":[1,"two",{"a":true}]},"version":1}""")!,
        _ => new JsonObject(),
    };

    private static JsonNode PostmarkTemplated() => JsonNode.Parse("""
        {"From":"a@acme.test","To":"bob@nullmx.test","TemplateAlias":"fuzz-tpl","TemplateModel":{"x":"1","items":[1,"two"]},"InlineCss":true,
         "Tag":"fuzz","TrackOpens":true,"TrackLinks":"HtmlAndText"}
        """)!;

    private sealed record FuzzRequest(string Method, string Path, byte[]? Body, string? ContentType, (string Name, string Value)? Header, string What)
    {
        public string? Accept { get; init; }

        /// <summary>An operator page's endpoint (the captured mail page): it answers in HTML, its login prompt included.</summary>
        public bool Page { get; init; }

        /// <summary>A hosted provider's route: its errors are that provider's JSON, not problem+json.</summary>
        public bool Compat { get; init; }
    }

    [Fact]
    public async Task No_input_on_any_route_gets_a_5xx_or_an_error_that_is_not_problem_json()
    {
        output.WriteLine($"HTTP fuzz seed {Seed} (set SENDAPI_FUZZ_SEED to replay), storage {(OnRedis ? "Redis" : "embedded")}");
        var inputs = new HttpFuzzInputs(Seed);
        var endpoints = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText?.StartsWith("/messages", StringComparison.Ordinal) == true);

        var requests = endpoints.SelectMany(e => RequestsFor(e, inputs)).Select(r => r with { Accept = inputs.Accept() }).ToList();
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var clock = Stopwatch.StartNew();
        foreach (var request in requests)
        {
            var (status, failure) = await CheckAsync(request);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }

        output.WriteLine($"{requests.Count} requests over {endpoints.Count} endpoints in {clock.Elapsed.TotalSeconds:F1} s, {failures.Count} failures");
        output.WriteLine("Answers: " + string.Join(", ", statuses.Select(s => $"{s.Key} x{s.Value}")));

        // The pass reached the handlers (some mutations are still valid requests) and their checks.
        Assert.True(requests.Count > 1000, $"only {requests.Count} requests");
        Assert.Contains(StatusCodes.Status202Accepted, statuses.Keys);
        Assert.Contains(StatusCodes.Status400BadRequest, statuses.Keys);
        Assert.Contains(StatusCodes.Status404NotFound, statuses.Keys);
        Assert.Equal(HttpStatusCode.OK, (await App.Client(apiKey: null).GetAsync("/health/ready")).StatusCode);
        Assert.True(failures.Count == 0, $"seed {Seed}: {failures.Count} of {requests.Count} requests failed:\n{string.Join("\n", failures.Take(25))}");
    }

    private IEnumerable<FuzzRequest> RequestsFor(RouteEndpoint endpoint, HttpFuzzInputs inputs)
    {
        // A page (the captured mail's, the unsubscribe page: documented to answer text/html) may
        // answer a browser's bad request with a page too.
        var page = endpoint.Metadata.Contains(SendApi.Api.Features.Captured.PageOrApiPolicy.Page)
            || endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>().Any(p => p.ContentTypes.Contains("text/html"));
        var compat = endpoint.Metadata.GetMetadata<SendApi.Api.Features.Compat.CompatApi>() is not null;
        return MutatedRequests(endpoint, inputs).Select(request => request with { Page = page, Compat = compat });
    }

    private IEnumerable<FuzzRequest> MutatedRequests(RouteEndpoint endpoint, HttpFuzzInputs inputs)
    {
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } declared ? declared : ["GET"];
        var requestType = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        var pattern = endpoint.RoutePattern;
        var area = pattern.PathSegments.FirstOrDefault()?.Parts.OfType<RoutePatternLiteralPart>().FirstOrDefault()?.Content ?? "";
        var valid = pattern.Parameters.ToDictionary(p => p.Name, p => ValidValue(area, p.Name));
        var body = requestType is null ? null : ValidBody(requestType, pattern.RawText ?? "");
        var bodyBytes = body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString());
        var contentType = body is null ? null : "application/json";

        foreach (var method in methods)
        {
            var name = $"{method} {pattern.RawText}";

            // Each path parameter in turn, the others valid.
            foreach (var parameter in pattern.Parameters)
            {
                foreach (var value in inputs.PathValues(valid[parameter.Name]))
                {
                    var values = new Dictionary<string, string>(valid) { [parameter.Name] = value };
                    yield return new FuzzRequest(method, Path(pattern, values), bodyBytes, contentType, null, $"{name} with {parameter.Name}={Show(value)}");
                }
            }

            // Query parameters and headers the handler reads.
            var handler = endpoint.Metadata.GetMetadata<MethodInfo>();
            foreach (var parameter in handler?.GetParameters() ?? [])
            {
                if (valid.ContainsKey(parameter.Name!) || !IsSimple(parameter.ParameterType))
                {
                    continue;
                }

                if (parameter.GetCustomAttribute<FromHeaderAttribute>() is { } header)
                {
                    foreach (var value in inputs.HeaderValues())
                    {
                        yield return new FuzzRequest(method, Path(pattern, valid), bodyBytes, contentType, (header.Name ?? parameter.Name!, value), $"{name} with header {header.Name}={Show(value)}");
                    }

                    continue;
                }

                foreach (var value in inputs.QueryValues())
                {
                    var query = $"?{Uri.EscapeDataString(parameter.Name!)}={Uri.EscapeDataString(value)}";
                    yield return new FuzzRequest(method, Path(pattern, valid) + query, bodyBytes, contentType, null, $"{name} with ?{parameter.Name}={Show(value)}");
                }
            }

            if (body is null)
            {
                continue;
            }

            var path = Path(pattern, valid);
            foreach (var position in HttpFuzzInputs.Positions(body))
            {
                foreach (var value in inputs.JsonValues())
                {
                    var mutated = HttpFuzzInputs.Replace(body, position, value).ToJsonString();
                    yield return new FuzzRequest(method, path, Encoding.UTF8.GetBytes(mutated), contentType, null, $"{name} with {HttpFuzzInputs.Describe(position)}={Show(value?.ToJsonString() ?? "null")}");
                }
            }

            foreach (var objectPath in HttpFuzzInputs.Objects(body).ToList())
            {
                if (HttpFuzzInputs.WithDuplicateKey(body, objectPath) is { } duplicated)
                {
                    yield return new FuzzRequest(method, path, Encoding.UTF8.GetBytes(duplicated), contentType, null, $"{name} with a duplicate key in {HttpFuzzInputs.Describe(objectPath)}");
                }

                foreach (var key in inputs.JsonKeys())
                {
                    var target = (JsonObject)HttpFuzzInputs.At(body, objectPath)!.DeepClone();
                    target[key] = "v";
                    var mutated = objectPath.Count == 0 ? target : HttpFuzzInputs.Replace(body, objectPath, target);
                    yield return new FuzzRequest(method, path, Encoding.UTF8.GetBytes(mutated.ToJsonString()), contentType, null, $"{name} with key {Show(key)} in {HttpFuzzInputs.Describe(objectPath)}");
                }
            }

            // Several fields at once, chosen at random.
            var positions = HttpFuzzInputs.Positions(body).ToList();
            for (var i = 0; i < 40; i++)
            {
                var mutated = body;
                var changed = new List<string>();
                for (var n = 1 + inputs.Next(3); n > 0; n--)
                {
                    var position = positions[inputs.Next(positions.Count)];
                    if (!HttpFuzzInputs.Reaches(mutated, position))
                    {
                        continue;
                    }

                    var value = inputs.RandomJsonValue();
                    mutated = HttpFuzzInputs.Replace(mutated, position, value);
                    changed.Add($"{HttpFuzzInputs.Describe(position)}={Show(value?.ToJsonString() ?? "null")}");
                }

                yield return new FuzzRequest(method, path, Encoding.UTF8.GetBytes(mutated.ToJsonString()), contentType, null, $"{name} with {string.Join(", ", changed)}");
            }

            foreach (var (what, bytes, type) in HttpFuzzInputs.WholeBodies())
            {
                yield return new FuzzRequest(method, path, bytes, type, null, $"{name} with body: {what}");
            }
        }
    }

    private string ValidValue(string area, string parameter) =>
        _validIds.TryGetValue(parameter, out var byName) ? byName
        : _validIds.TryGetValue(area, out var byArea) ? byArea
        : "x";

    private static bool IsSimple(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(string) || t.IsPrimitive || t == typeof(DateTimeOffset));

    /// <summary>The pattern with each parameter's value percent-encoded ("a/b" stays two segments: the raw route is fuzzed too).</summary>
    private static string Path(RoutePattern pattern, IReadOnlyDictionary<string, string> values) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => values[parameter.Name] == "a/b" ? "a/b" : Uri.EscapeDataString(values[parameter.Name]),
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        }))));

    private static string Show(string value) =>
        value.Length > 60 ? $"<{value.Length} chars: {value[..20].ReplaceLineEndings("⏎")}…>" : $"'{value.ReplaceLineEndings("⏎")}'";

    /// <summary>The status, and null when the answer is acceptable, else what was wrong with it.</summary>
    private async Task<(int Status, string? Failure)> CheckAsync(FuzzRequest request)
    {
        var (status, body, contentType) = await SendAsync(request);
        var what = request.Accept is null ? request.What : $"{request.What} (Accept: {request.Accept})";
        if (status >= 500)
        {
            return (status, $"{what}: {status} {Trim(body)}");
        }

        if (status < 400)
        {
            return (status, null);
        }

        if (request.Page && contentType == "text/html")
        {
            return (status, null);
        }

        if (request.Compat)
        {
            return contentType == "application/json" && JsonNode.Parse(body) is JsonObject && !NamesDotnetType(body)
                ? (status, null)
                : (status, $"{what}: {status} as '{contentType}', not a provider's JSON error (or naming a .NET type): {Trim(body)}");
        }

        if (contentType != "application/problem+json")
        {
            return (status, $"{what}: {status} as '{contentType}', not problem+json: {Trim(body)}");
        }

        if (NamesDotnetType(body))
        {
            return (status, $"{what}: {status} names a .NET type: {Trim(body)}");
        }

        return JsonNode.Parse(body) is JsonObject problem && (int?)problem["status"] == status
            ? (status, null)
            : (status, $"{what}: {status} with a problem whose status differs: {Trim(body)}");
    }

    private static bool NamesDotnetType(string body) =>
        body.Contains("SendApi.", StringComparison.Ordinal) || body.Contains("System.", StringComparison.Ordinal) || body.Contains("Microsoft.", StringComparison.Ordinal);

    private async Task<(int Status, string Body, string? ContentType)> SendAsync(FuzzRequest request)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
            }
        }

        if (request.Header is { } header)
        {
            message.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        if (request.Accept is not null)
        {
            message.Headers.TryAddWithoutValidation("Accept", request.Accept);
        }

        using var response = await Http.SendAsync(message);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    private static string Trim(string body) => body.Length > 300 ? body[..300] + "…" : body;
}

public sealed class EmbeddedHttpFuzzTests(DeliveryWorld world, ITestOutputHelper output) : HttpFuzzTests(world, output), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisHttpFuzzTests(DeliveryWorld world, ITestOutputHelper output) : HttpFuzzTests(world, output), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
