namespace CartoSelfHosted.TestSupport;

/// <summary>The repository the tests run from, for what they use of it beside their build (scripts, npm packages).</summary>
public static class Repository
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CartoSelfHosted.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No CartoSelfHosted.sln above {AppContext.BaseDirectory}.");
    }
}
