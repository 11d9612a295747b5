using Aspire.Hosting.ApplicationModel;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// One of the platform's .NET services as <see cref="LocalPlatform.Replicas"/> processes: the first under the
/// service's name, the others as <c>&lt;name&gt;-2</c>… — each a resource of its own, on a fixed port of its own,
/// restarted on its own and shown on its own in the dashboard. Aspire's <c>WithReplicas</c> would put DCP's proxy in
/// front of them (a hop more for every tile, and no way to tell which replica is dead); here the router and the HTTP
/// cache balance across the replicas themselves and stop sending to one that fails.
/// </summary>
public sealed class PlatformService
{
    private PlatformService(string name, IReadOnlyList<IResourceBuilder<ProjectResource>> replicas)
    {
        Name = name;
        Replicas = replicas;
    }

    public string Name { get; }

    public IReadOnlyList<IResourceBuilder<ProjectResource>> Replicas { get; }

    internal static PlatformService Add<TProject>(IDistributedApplicationBuilder builder, LocalPlatform platform, string name,
        Func<IResourceBuilder<ProjectResource>, IResourceBuilder<ProjectResource>> configure)
        where TProject : IProjectMetadata, new() =>
        new(name, [.. Enumerable.Range(1, platform.Replicas).Select(replica =>
            configure(builder.AddProject<TProject>(ReplicaName(name, replica)).AsPlatformService(platform)))]);

    /// <summary>The resource name of the service's <paramref name="replica"/>th process (from 1).</summary>
    private static string ReplicaName(string name, int replica) => replica == 1 ? name : $"{name}-{replica}";

    /// <summary>Gives each replica service discovery of the others, each under its own name.</summary>
    public PlatformService ReferencingOneAnother()
    {
        foreach (var replica in Replicas)
        {
            foreach (var other in Replicas.Where(other => other != replica))
            {
                replica.WithReference(other);
            }
        }
        return this;
    }

    /// <summary>Configures every replica alike.</summary>
    public PlatformService Each(Func<IResourceBuilder<ProjectResource>, IResourceBuilder<ProjectResource>> configure)
    {
        foreach (var replica in Replicas)
        {
            configure(replica);
        }
        return this;
    }
}

public static class PlatformServiceBuilderExtensions
{
    /// <summary>Adds the service <typeparamref name="TProject"/> under <paramref name="name"/>, its replicas configured alike.</summary>
    public static PlatformService AddPlatformService<TProject>(this IDistributedApplicationBuilder builder, LocalPlatform platform,
        string name, Func<IResourceBuilder<ProjectResource>, IResourceBuilder<ProjectResource>> configure)
        where TProject : IProjectMetadata, new() => PlatformService.Add<TProject>(builder, platform, name, configure);

    /// <summary>
    /// Service discovery of <paramref name="service"/> under its one name, with every replica's address
    /// (<c>services__maps-api__http__0</c>, <c>__1</c>…): what balances across them (the router) sees one service.
    /// </summary>
    public static IResourceBuilder<T> WithBalancedReference<T>(this IResourceBuilder<T> consumer, PlatformService service)
        where T : IResourceWithEnvironment
    {
        consumer.WithReference(service.Replicas[0]);
        foreach (var (replica, index) in service.Replicas.Select((replica, index) => (replica, index)).Skip(1))
        {
            consumer.WithEnvironment($"services__{service.Name}__http__{index}", replica.GetEndpoint("http"));
        }
        return consumer;
    }

    /// <summary>Service discovery of each replica under its own name: what watches them one by one (the platform's health).</summary>
    public static IResourceBuilder<T> WithReferenceToEachReplica<T>(this IResourceBuilder<T> consumer, PlatformService service)
        where T : IResourceWithEnvironment
    {
        foreach (var replica in service.Replicas)
        {
            consumer.WithReference(replica);
        }
        return consumer;
    }

    /// <summary>Starts once every replica of <paramref name="service"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> consumer, PlatformService service)
        where T : IResourceWithWaitSupport
    {
        foreach (var replica in service.Replicas)
        {
            consumer.WaitFor(replica);
        }
        return consumer;
    }
}
