using CartoSelfHosted.Integration.Tests.Accounts;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.MapsApi.Apis;
using CartoSelfHosted.TestSupport;
using CartoSelfHosted.WorkspaceApi.Connections;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// workspace-api and maps-api in process on one metadata database and warehouse (two organizations, A and B), every log
/// line and trace attribute of both captured, and a database of the second PostgreSQL cluster to connect to. A has an
/// admin, an editor and a viewer (users, with tokens of their own); B an admin.
/// </summary>
public sealed class ConnectionsEnvironment : IAsyncLifetime
{
    public CapturedTelemetry Telemetry { get; } = new();

    public TenantDatabases Databases { get; private set; } = null!;

    public ExternalDatabase External { get; private set; } = null!;

    public ApiFactory<ConnectionList> Workspace { get; private set; } = null!;

    public ApiFactory<SqlJobView> Maps { get; private set; } = null!;

    public string AdminA { get; private set; } = null!;

    public string EditorA { get; private set; } = null!;

    public string ViewerA { get; private set; } = null!;

    public string AdminB { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Databases = await TenantDatabases.CreateAsync("conn");
        External = await ExternalDatabase.CreateAsync();
        AdminA = await Databases.AddUserAsync(Databases.A, "admin@a.example.com", "admin");
        EditorA = await Databases.AddUserAsync(Databases.A, "editor@a.example.com", "editor");
        ViewerA = await Databases.AddUserAsync(Databases.A, "viewer@a.example.com", "viewer");
        AdminB = await Databases.AddUserAsync(Databases.B, "admin@b.example.com", "admin");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:metadata"] = Databases.Metadata,
            ["ConnectionStrings:warehouse"] = Databases.Warehouse,
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
            ["PubSub:ProjectId"] = $"test-{Guid.NewGuid():N}"[..24],
        };
        Workspace = await ApiFactory<ConnectionList>.StartAsync("conn_workspace", settings, Telemetry);
        Maps = await ApiFactory<SqlJobView>.StartAsync("conn_maps", settings, Telemetry);
    }

    public async ValueTask DisposeAsync()
    {
        await Workspace.DisposeAsync();
        await Maps.DisposeAsync();
        Telemetry.Dispose();
    }
}
