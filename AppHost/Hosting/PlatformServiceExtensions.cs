using Aspire.Hosting.ApplicationModel;

namespace CartoSelfHosted.AppHost.Hosting;

public static class PlatformServiceExtensions
{
    /// <summary>One of the platform's .NET services: on its own fixed port, healthy when its <c>/health</c> says so.</summary>
    public static IResourceBuilder<ProjectResource> AsPlatformService(this IResourceBuilder<ProjectResource> service, LocalPlatform platform) =>
        service
            .WithFixedEndpoint("http", platform.PortFor(service.Resource.Name))
            .WithHttpHealthCheck("/health");
}
