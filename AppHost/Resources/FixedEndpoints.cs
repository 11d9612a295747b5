namespace Aspire.Hosting.ApplicationModel;

public static class FixedEndpointExtensions
{
    /// <summary>
    /// An endpoint on the resource's own port, not behind DCP's proxy: the process listens on the port the platform
    /// announces, and a tile or an upload crosses no extra hop.
    /// </summary>
    public static IResourceBuilder<T> WithFixedEndpoint<T>(this IResourceBuilder<T> builder, string name, int port)
        where T : IResourceWithEndpoints =>
        builder.WithEndpoint(name, endpoint =>
        {
            endpoint.Port = port;
            endpoint.TargetPort = port;
            endpoint.IsProxied = false;
            endpoint.UriScheme = name == "http" ? "http" : "tcp";
        }, createIfNotExists: true);
}
