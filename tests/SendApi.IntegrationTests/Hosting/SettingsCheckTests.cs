using System.Reflection;
using SendApi.Hosting;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Hosting;

/// <summary>
/// A setting the application would ignore (a typo, a list given as one value) or fail to read stops
/// the start with one line naming it, as the real process prints it.
/// </summary>
public sealed class SettingsCheckTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Misspelt_and_malformed_settings_stop_the_start_each_named_on_one_line()
    {
        await using var app = SendApiProcess.Start(new Dictionary<string, string?>
        {
            ["Inbound:Domains"] = "replies.example.com",
            ["Delivery:Wokers"] = "4",
            ["Deliverry:Workers"] = "4",
            ["Smtp:AllowInsecureAuth"] = "yes",
            ["Messages:MaxRecipients"] = "",
        });
        var exit = await app.WaitUntilReadyOrExitAsync(Start);

        Assert.True(exit == 1, app.Output);
        var errors = ErrorLines(app.Output);
        Assert.Contains(errors, l => l.StartsWith("Inbound__Domains is a list: set Inbound__Domains__0", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.StartsWith("Delivery__Wokers is not a setting SendApi knows", StringComparison.Ordinal) && l.EndsWith("did you mean Delivery__Workers?", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.Contains("there is no section 'Deliverry'; did you mean Delivery?", StringComparison.Ordinal));
        Assert.Contains("Smtp__AllowInsecureAuth: 'yes' is not true or false.", errors);
        Assert.Contains(errors, l => l.StartsWith("Messages__MaxRecipients: '' is not", StringComparison.Ordinal));
        Assert.Equal(5, errors.Count);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_value_stops_the_start_with_its_message_and_no_stack_trace()
    {
        await using var app = SendApiProcess.Start(new Dictionary<string, string?> { ["Delivery:Workers"] = "-1" });
        var exit = await app.WaitUntilReadyOrExitAsync(Start);

        Assert.True(exit == 1, app.Output);
        Assert.Equal(["Delivery:Workers (env Delivery__Workers) must be at least 1, not -1."], ErrorLines(app.Output));
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_outside_SendApis_sections_and_list_items_are_left_alone()
    {
        await using var app = SendApiProcess.Start(new Dictionary<string, string?>
        {
            ["Inbound:Domains:0"] = "replies.example.com",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["SOME_TOOL_SETTING"] = "x",
            ["Metrics:Domains:0"] = "example.com",
        });

        Assert.Null(await app.WaitUntilReadyOrExitAsync(Start));
    }

    [Fact]
    public void Every_options_section_in_the_application_is_checked()
    {
        // Every SendApi assembly the application ships, loaded or not yet.
        var sections = Directory.GetFiles(AppContext.BaseDirectory, "SendApi*.dll")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => !name!.EndsWith("Tests", StringComparison.Ordinal))
            .Select(name => Assembly.Load(name!))
            .SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(t => t.Field is { IsLiteral: true } && t.Type.Name.EndsWith("Options", StringComparison.Ordinal))
            .ToDictionary(t => (string)t.Field!.GetRawConstantValue()!, t => t.Type);

        Assert.NotEmpty(sections);
        foreach (var (section, type) in sections)
        {
            Assert.True(SettingsCheck.Sections.TryGetValue(section, out var checkedType) && checkedType == type, $"{type.Name} binds '{section}', which SettingsCheck.Sections doesn't list.");
        }
    }

    private static List<string> ErrorLines(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith("! ", StringComparison.Ordinal)).Select(l => l[2..].TrimEnd('\r'))];
}
