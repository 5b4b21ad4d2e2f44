using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SendApi.Api.Features.Submission;
using SendApi.Hosting;
using SendApi.UnitTests.Build;

namespace SendApi.UnitTests.Hosting;

/// <summary>
/// The ports and addresses the shipped settings files give each listener, read the way the host
/// reads them (appsettings.json, then appsettings.{environment}.json): production keeps the
/// standard SMTP ports on every interface, while `dotnet run` (the Development launch profile)
/// stays on localhost with ports an ordinary user may bind.
/// </summary>
public sealed class ListenerDefaultsTests
{
    private static readonly string Project = Path.Combine(Solution.RepositoryRoot(), "src", "SendApi");

    [Fact]
    public void Production_listens_for_SMTP_on_587_with_STARTTLS_465_with_implicit_TLS_and_25_on_every_interface()
    {
        Assert.False(File.Exists(Path.Combine(Project, "appsettings.Production.json")), "a Production settings file would change these defaults");
        var smtp = SmtpSettings("Production");

        var plan = ListenerPlan.From(new HostingUrls(Urls: null, HttpPorts: null), smtp);

        var listeners = plan.Listeners.Where(l => l.Role is not (ListenerRole.Http or ListenerRole.Https)).ToList();
        Assert.Equal(
            [(ListenerRole.Submission, 587), (ListenerRole.SubmissionTls, 465), (ListenerRole.Inbound, 25)],
            listeners.Select(l => (l.Role, l.Port)));
        Assert.All(listeners, l => Assert.True(EndpointBinding.IsAnyAddress(l.Host), $"{l.Role} binds {l.Host}, not every address"));
        Assert.Equal("port 25 of every address", listeners[2].Endpoint);
        Assert.False(SubmissionListeners.StarttlsProfile(smtp).ImplicitTls);
        Assert.True(SubmissionListeners.StarttlsProfile(smtp).RequireAuth);
        Assert.True(SubmissionListeners.ImplicitTlsProfile(smtp).ImplicitTls);
        Assert.False(SubmissionListeners.InboundProfile().OfferAuth);
        Assert.False(smtp.AllowInsecureAuth);
    }

    [Fact]
    public void The_launch_profile_of_dotnet_run_is_Development_on_localhost_with_2587_2465_and_2525()
    {
        // `dotnet run` takes the first profile of launchSettings.json whose commandName is Project.
        using var launch = JsonDocument.Parse(File.ReadAllText(Path.Combine(Project, "Properties", "launchSettings.json")));
        var profile = launch.RootElement.GetProperty("profiles").EnumerateObject()
            .First(p => p.Value.GetProperty("commandName").GetString() == "Project").Value;
        var environment = profile.GetProperty("environmentVariables").GetProperty("ASPNETCORE_ENVIRONMENT").GetString()!;
        var applicationUrl = profile.GetProperty("applicationUrl").GetString();
        Assert.Equal("Development", environment);
        Assert.Equal("http://localhost:8080", applicationUrl);
        var smtp = SmtpSettings(environment);

        var plan = ListenerPlan.From(new HostingUrls(applicationUrl, HttpPorts: null), smtp);

        Assert.Equal(
            [(ListenerRole.Http, 8080), (ListenerRole.Submission, 2587), (ListenerRole.SubmissionTls, 2465), (ListenerRole.Inbound, 2525)],
            plan.Listeners.Select(l => (l.Role, l.Port)));
        Assert.All(plan.Listeners, l => Assert.Equal("localhost", l.Host));
        Assert.Equal("localhost:2587", plan.Listeners[1].Endpoint);
    }

    /// <summary>The Smtp section as the host binds it in <paramref name="environment"/>.</summary>
    private static SmtpOptions SmtpSettings(string environment)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Project, "appsettings.json"), optional: false)
            .AddJsonFile(Path.Combine(Project, $"appsettings.{environment}.json"), optional: true)
            .Build();
        var smtp = new SmtpOptions();
        configuration.GetSection(SmtpOptions.Section).Bind(smtp);
        return smtp;
    }
}
