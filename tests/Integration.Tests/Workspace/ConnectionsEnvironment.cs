using CartoSelfHosted.Integration.Tests.Accounts;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.MapsApi.Apis;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.SqlWorker.Jobs;
using CartoSelfHosted.TestSupport;
using CartoSelfHosted.WorkspaceApi.Connections;
using CartoSelfHosted.WorkspaceSubscriber.Catalog;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// workspace-api, workspace-subscriber and maps-api in process on one metadata database, warehouse and Pub/Sub project
/// (two organizations, A and B), every log line and trace attribute captured, and a database of the second PostgreSQL
/// cluster to connect to. A has an
/// admin, an editor and a viewer (users, with tokens of their own); B an admin.
/// </summary>
public sealed class ConnectionsEnvironment : IAsyncLifetime
{
    public CapturedTelemetry Telemetry { get; } = new();

    public TenantDatabases Databases { get; private set; } = null!;

    public ExternalDatabase External { get; private set; } = null!;

    public ApiFactory<ConnectionList> Workspace { get; private set; } = null!;

    public ApiFactory<SqlJobView> Maps { get; private set; } = null!;

    public ApiFactory<TableChangedHandler> Subscriber { get; private set; } = null!;

    public ApiFactory<SqlJobHandler> SqlWorker { get; private set; } = null!;

    public Person AdminAUser { get; private set; } = null!;

    public string AdminA => AdminAUser.Token;

    public Person EditorAUser { get; private set; } = null!;

    public string EditorA => EditorAUser.Token;

    public Person ViewerAUser { get; private set; } = null!;

    public string ViewerA => ViewerAUser.Token;

    public Person AdminBUser { get; private set; } = null!;

    public string AdminB => AdminBUser.Token;

    public async ValueTask InitializeAsync()
    {
        Databases = await TenantDatabases.CreateAsync("conn");
        External = await ExternalDatabase.CreateAsync();
        AdminAUser = await Databases.AddUserAsync(Databases.A, "admin@a.example.com", "admin");
        EditorAUser = await Databases.AddUserAsync(Databases.A, "editor@a.example.com", "editor");
        ViewerAUser = await Databases.AddUserAsync(Databases.A, "viewer@a.example.com", "viewer");
        AdminBUser = await Databases.AddUserAsync(Databases.B, "admin@b.example.com", "admin");
        var settings = Databases.PlatformSettings();
        Workspace = await ApiFactory<ConnectionList>.StartAsync("conn_workspace", settings, Telemetry);
        Maps = await ApiFactory<SqlJobView>.StartAsync("conn_maps", settings, Telemetry);
        Subscriber = await ApiFactory<TableChangedHandler>.StartAsync("conn_subscriber", settings, Telemetry);
        SqlWorker = await ApiFactory<SqlJobHandler>.StartAsync("conn_sql_worker", settings, Telemetry);
    }

    /// <summary>Puts a data-changed event in the outbox, as an import or a SQL job does when it ends; workspace-api's dispatcher publishes it.</summary>
    public async Task PublishDataChangedAsync(TestOrganization organization, string table, string change)
    {
        var message = new DataChangedMessage(organization.Id, organization.Slug, "carto_dw", organization.Schema, table, change, "test", null);
        await using var metadata = NpgsqlDataSource.Create(Databases.Metadata);
        await using var session = await metadata.OpenConnectionAsync();
        await using var transaction = await session.BeginTransactionAsync();
        await OutboxWriter.EnqueueAsync(transaction, MessagingTopology.Topics.DataChanged, message, message.OrderingKey);
        await transaction.CommitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Workspace.DisposeAsync();
        await Maps.DisposeAsync();
        await Subscriber.DisposeAsync();
        await SqlWorker.DisposeAsync();
        Telemetry.Dispose();
    }
}
