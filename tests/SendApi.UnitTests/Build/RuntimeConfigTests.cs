using System.Text.Json.Nodes;

namespace SendApi.UnitTests.Build;

/// <summary>
/// The host's runtime settings that performance depends on, as the build writes them into
/// SendApi.runtimeconfig.json (what <c>dotnet SendApi.dll</c> and the container read).
/// </summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public void The_host_compiles_its_code_optimized_at_first_call_instead_of_tiering_it_up_under_load()
    {
        // The default (quick JIT, then PGO-instrumented, then optimized code) took 15-20 % of a
        // 2-core machine's CPU during the first 30 s of mail: docs/performance.md, session 11.
        var properties = ConfigProperties();

        Assert.Equal(false, (bool?)properties["System.Runtime.TieredCompilation.QuickJit"]);
        Assert.Equal(true, (bool?)properties["System.GC.Server"]);
    }

    private static JsonObject ConfigProperties()
    {
        // The test project references the host, so its runtimeconfig is copied next to the tests.
        var path = Path.Combine(AppContext.BaseDirectory, "SendApi.runtimeconfig.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        return config["runtimeOptions"]!["configProperties"]!.AsObject();
    }
}
