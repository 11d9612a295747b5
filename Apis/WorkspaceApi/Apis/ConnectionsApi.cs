using CartoSelfHosted.Platform.Warehouse;

namespace CartoSelfHosted.WorkspaceApi.Apis;

public static class ConnectionsApi
{
    public static IEndpointRouteBuilder MapConnectionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/connections");
        api.MapGet("", ListConnections);
        return app;
    }

    /// <summary>The warehouse connections the organization can use. Today only the built-in one; credentials are never returned.</summary>
    public static ConnectionList ListConnections() =>
        new([new ConnectionDescription(WarehouseDatabase.BuiltInConnectionName, "postgres", BuiltIn: true)]);
}

public sealed record ConnectionList(IReadOnlyList<ConnectionDescription> Connections);

public sealed record ConnectionDescription(string Name, string ProviderType, bool BuiltIn);
