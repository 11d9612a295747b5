using CartoSelfHosted.Platform.Warehouse;

namespace CartoSelfHosted.WorkspaceApi.Apis;

public static class ConnectionsApi
{
    public static IEndpointRouteBuilder MapConnectionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/connections").WithTags("Connections");
        api.MapGet("", ListConnections)
            .WithSummary("The organization's warehouse connections")
            .WithDescription("Today only the built-in one, `carto_dw`. Credentials are never returned.");
        return app;
    }

    /// <summary>
    /// The warehouse connections the organization can use. Today only the built-in one; credentials are never
    /// returned. The workspace asks on every page, so the HTTP cache keeps it (per token) under the surrogate key
    /// <c>connections</c>, which a change of connections will purge.
    /// </summary>
    public static ConnectionList ListConnections(HttpResponse response)
    {
        response.Headers.CacheControl = "private, max-age=30";
        response.Headers["Surrogate-Control"] = "max-age=300";
        response.Headers["xkey"] = "connections";
        return new([new ConnectionDescription(WarehouseDatabase.BuiltInConnectionName, "postgres", BuiltIn: true)]);
    }
}

public sealed record ConnectionList(IReadOnlyList<ConnectionDescription> Connections);

public sealed record ConnectionDescription(string Name, string ProviderType, bool BuiltIn);
