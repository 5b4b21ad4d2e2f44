namespace SendApi.UnitTests.Build;

/// <summary>No Docker engine runs in CI, so the Dockerfile is checked by reading it.</summary>
public sealed class DockerfileTests
{
    [Fact]
    public void Restore_stage_copies_every_project_under_src()
    {
        var root = Solution.RepositoryRoot();
        var dockerfile = File.ReadAllText(Path.Combine(root, "Dockerfile"));
        var projects = Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'));
        Assert.All(projects, project => Assert.Contains($"COPY {project} ", dockerfile));
    }
}
