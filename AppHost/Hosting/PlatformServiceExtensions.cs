using System.Reflection;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;

namespace CartoSelfHosted.AppHost.Hosting;

public static class PlatformServiceExtensions
{
    /// <summary>
    /// One of the platform's .NET services: on its own fixed port, healthy when its <c>/health</c> says so, and run
    /// from its built assembly with <c>dotnet exec</c>. DCP would run it under <c>dotnet run --no-build</c>, a wrapper
    /// that evaluates the project with MSBuild at every start (2.7 s of CPU and 73 MB for each of nine services) and
    /// never hands on the SIGINT DCP stops a project with.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AsPlatformService(this IResourceBuilder<ProjectResource> service, LocalPlatform platform)
    {
        service
            .WithFixedEndpoint("http", platform.PortFor(service.Resource.Name))
            .WithHttpHealthCheck("/health");
        if (!platform.IsPublishing)
        {
            // What ./run.sh runs is a development installation (the development token among what that means); the
            // manifest, what is deployed, says nothing, and .NET takes that as Production.
            service.WithEnvironment("DOTNET_ENVIRONMENT", Environments.Development);
            var assembly = BuiltAssembly(service, platform);
            // Launch tool arguments are marked for evaluation; they are how Aspire says what hosts a resource's program.
#pragma warning disable ASPIREEXTENSION001
            service.WithLaunchToolArgs(context =>
            {
                context.Args.Add("exec");
                context.Args.Add(assembly);
            });
#pragma warning restore ASPIREEXTENSION001
        }
        return service;
    }

    /// <summary>Where the build put the service's assembly: <c>artifacts/bin/&lt;project&gt;/&lt;configuration&gt;/</c>
    /// (Directory.Build.props), built in AppHost's own configuration, as DCP's <c>--configuration</c> would ask.</summary>
    private static string BuiltAssembly(IResourceBuilder<ProjectResource> service, LocalPlatform platform)
    {
        var project = Path.GetFileNameWithoutExtension(service.Resource.GetProjectMetadata().ProjectPath);
        var configuration = service.ApplicationBuilder.AppHostAssembly?.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        return platform.InRepository(Path.Combine("artifacts", "bin", project, configuration.ToLowerInvariant(), project + ".dll"));
    }
}
