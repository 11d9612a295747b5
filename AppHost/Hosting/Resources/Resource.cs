using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// A value a resource hands to another, in its two forms: what it is on this machine now, and how Aspire's manifest
/// writes it (<c>{postgres.bindings.tcp.port}</c>, <c>{metadata.connectionString}</c>…).
/// </summary>
public sealed record ReferenceExpression(Func<string> Runtime, string Manifest)
{
    public static ReferenceExpression Literal(string value) => new(() => value, value);
}

/// <summary>A network endpoint of a resource: fixed on this machine (<see cref="Port"/>), the container's port in the manifest.</summary>
public sealed record EndpointSpec(string Name, string Scheme, int Port, int TargetPort)
{
    public const string Host = "127.0.0.1";

    public string Url => $"{Scheme}://{Host}:{Port}";
}

/// <summary>Anything the platform is made of: a server, a service, a database, a parameter.</summary>
public abstract class Resource(string name)
{
    public string Name { get; } = name;

    /// <summary>Resources that must be ready before this one starts.</summary>
    public List<Resource> WaitsFor { get; } = [];

    public List<EndpointSpec> Endpoints { get; } = [];

    public abstract string ResourceType { get; }

    /// <summary>Resources declared through this one (a server's databases), listed after it.</summary>
    public virtual IEnumerable<Resource> Children => [];

    public EndpointSpec Endpoint(string name) => Endpoints.Single(endpoint => endpoint.Name == name);

    public abstract void WriteManifest(Utf8JsonWriter writer, ManifestContext context);

    public override string ToString() => Name;
}

/// <summary>A resource that others reference through a connection string (<c>ConnectionStrings__{name}</c>).</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    ReferenceExpression ConnectionString { get; }
}

/// <summary>A resource that puts its own keys into the environment of whoever references it.</summary>
public interface IResourceWithEnvironmentReference
{
    IEnumerable<(string Key, ReferenceExpression Value)> ReferenceEnvironment { get; }
}

/// <summary>A resource with an HTTP endpoint that others find through <c>services__{name}__http__0</c>.</summary>
public interface IResourceWithServiceEndpoint
{
    string Name { get; }

    EndpointSpec Endpoint(string name);
}

public static class ResourceExtensions
{
    public static T WaitFor<T>(this T resource, Resource dependency) where T : Resource
    {
        if (!resource.WaitsFor.Contains(dependency))
        {
            resource.WaitsFor.Add(dependency);
        }
        return resource;
    }

    /// <summary>Host and port of an endpoint as the manifest spells them.</summary>
    public static (ReferenceExpression Host, ReferenceExpression Port) HostAndPort(this IResourceWithServiceEndpoint resource, string endpointName)
    {
        var endpoint = resource.Endpoint(endpointName);
        var binding = $"{resource.Name}.bindings.{endpointName}";
        return (new ReferenceExpression(() => EndpointSpec.Host, $"{{{binding}.host}}"),
            new ReferenceExpression(() => endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{{{binding}.port}}"));
    }
}
