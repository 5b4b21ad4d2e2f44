using System.Reflection;

namespace SendApi.UnitTests.Build;

/// <summary>The repository and its src assemblies, for the tests that check the whole solution.</summary>
internal static class Solution
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SendApi.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SendApi.sln not found");
    }

    public static IEnumerable<Assembly> SrcAssemblies()
    {
        // Every SendApi assembly next to the tests: the test project references each src project.
        foreach (var path in Directory.GetFiles(AppContext.BaseDirectory, "SendApi*.dll").Order(StringComparer.Ordinal))
        {
            var name = AssemblyName.GetAssemblyName(path);
            if (!name.Name!.EndsWith("Tests", StringComparison.Ordinal))
            {
                yield return Assembly.Load(name);
            }
        }
    }

    public static Type[] TypesOf(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return [.. ex.Types.OfType<Type>()];
        }
    }
}
