using Microsoft.Extensions.Configuration;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>Where the platform runs from on this machine: the repository, its git-ignored data folder, and who we are.</summary>
public sealed class RunContext(string repositoryRoot, string dataDirectory, IConfiguration configuration)
{
    public const string SolutionFileName = "CartoSelfHosted.sln";

    public string RepositoryRoot { get; } = repositoryRoot;

    public string DataDirectory { get; } = dataDirectory;

    public IConfiguration Configuration { get; } = configuration;

    /// <summary>The build configuration AppHost itself was built in; the services are started from the same one.</summary>
    public static string BuildConfiguration { get; } =
#if DEBUG
        "debug";
#else
        "release";
#endif

    /// <summary>Where `dotnet build` puts a project's assembly (artifacts output layout, see Directory.Build.props).</summary>
    public static string BuildOutput(string repositoryRoot, string projectName) =>
        Path.Combine(repositoryRoot, "artifacts", "bin", projectName, BuildConfiguration, projectName + ".dll");

    /// <summary>Servers that refuse to run as root (PostgreSQL) are started as their own system user when this is true.</summary>
    public bool IsRoot { get; } = Environment.UserName == "root";

    /// <summary>Probes share one client: they are frequent and short.</summary>
    public HttpClient ProbeClient { get; } = new() { Timeout = TimeSpan.FromSeconds(3) };

    public string ResourceDirectory(string resourceName)
    {
        var directory = Path.Combine(DataDirectory, resourceName);
        Directory.CreateDirectory(directory);
        return directory;
    }

    public string InRepository(string relativePath) => Path.GetFullPath(Path.Combine(RepositoryRoot, relativePath));

    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
                {
                    return directory.FullName;
                }
            }
        }
        throw new InvalidOperationException($"AppHost runs from inside the repository: no {SolutionFileName} above {AppContext.BaseDirectory}.");
    }
}
