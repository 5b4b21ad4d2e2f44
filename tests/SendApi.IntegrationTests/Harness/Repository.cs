namespace SendApi.IntegrationTests.Harness;

/// <summary>Files of the repository the tests read (the committed OpenAPI document, shared fixtures).</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SendApi.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SendApi.sln not found above " + AppContext.BaseDirectory);
    }
}
