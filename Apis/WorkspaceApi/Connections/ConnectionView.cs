using System.Text.Json.Serialization;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Warehouse;

namespace CartoSelfHosted.WorkspaceApi.Connections;

/// <summary>A connection as the API shows it: where it leads and as whom, never its password.</summary>
public sealed record ConnectionView(
    Guid? Id,
    string Name,
    string ProviderType,
    bool BuiltIn,
    string Privacy,
    Guid? OwnerId,
    ConnectionConfigView? Config,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt)
{
    /// <summary>The built-in warehouse every organization has and every user of it uses.</summary>
    public static ConnectionView BuiltInWarehouse { get; } = new(null, WarehouseDatabase.BuiltInConnectionName, StoredConnection.PostgresProvider,
        BuiltIn: true, StoredConnection.SharedPrivacy, null, null, null, null);

    public static ConnectionView Of(StoredConnection connection) => new(connection.Id, connection.Name, connection.Provider, BuiltIn: false,
        connection.Privacy, connection.OwnerId,
        new ConnectionConfigView(connection.Settings.Host, connection.Settings.Port, connection.Settings.Database, connection.Settings.User,
            PostgresSslModes.Name(connection.Settings.SslMode), connection.Settings.DefaultSchema),
        connection.CreatedAt, connection.UpdatedAt);
}

public sealed record ConnectionConfigView(
    string Host,
    int Port,
    string Database,
    string User,
    [property: JsonPropertyName("sslmode")] string SslMode,
    string Schema);

public sealed record ConnectionList(IReadOnlyList<ConnectionView> Connections);
