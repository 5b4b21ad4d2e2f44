using System.Text.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// openapi/sendapi.json is the API's published contract. It must equal what the running code
/// serves; after an intended change, regenerate it with SENDAPI_UPDATE_OPENAPI=1 and review the diff.
/// </summary>
public sealed class OpenApiDocumentTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Fact]
    public async Task Committed_document_matches_the_running_code()
    {
        await using var app = new SendApiApp(new Dictionary<string, string?>());
        var served = JsonNode.Parse(await app.Client(apiKey: null).GetStringAsync("/swagger/v1/swagger.json"))!.ToJsonString(Indented) + "\n";
        var path = Path.Combine(Repository.Root, "openapi", "sendapi.json");

        if (Environment.GetEnvironmentVariable("SENDAPI_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run the tests once with SENDAPI_UPDATE_OPENAPI=1.");
        var committed = await File.ReadAllTextAsync(path);
        Assert.True(
            committed == served,
            $"openapi/sendapi.json differs from the document the code serves. If the API change is intended, run the tests with SENDAPI_UPDATE_OPENAPI=1 and commit the file.\nFirst difference at character {FirstDifference(committed, served)}.");
    }

    private static int FirstDifference(string a, string b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }
}
