using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Warehouse;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.WorkspaceApi.Connections;

/// <summary>
/// A create or change of a connection as CARTO's clients send it: <c>{name, provider_id, privacy, config: {host, port,
/// database, user, password, sslmode, schema}}</c>. CARTO's UI names some fields otherwise, so <c>server</c> is taken for
/// <c>host</c>, <c>username</c> for <c>user</c>, <c>providerType</c> for <c>provider_id</c>, and a port as a number or a string.
/// </summary>
public sealed record ConnectionBody(
    string? Name,
    [property: JsonPropertyName("provider_id")] string? ProviderId,
    string? ProviderType,
    string? Privacy,
    ConnectionConfigBody? Config);

public sealed record ConnectionConfigBody(
    string? Host,
    string? Server,
    JsonElement? Port,
    string? Database,
    string? User,
    string? Username,
    string? Password,
    string? SslMode,
    string? Schema);

/// <summary>Checks a <see cref="ConnectionBody"/> and makes the definition to store, or the 400 problem that says what is wrong.</summary>
public static partial class ConnectionRequests
{
    public const int DefaultPort = 5432;
    public const string DefaultSslMode = "prefer";
    public const string DefaultSchema = "public";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();

    /// <summary>A new connection: every field but the port, sslmode, schema and privacy (which have defaults) is needed.</summary>
    public static (ConnectionDefinition? Definition, IResult? Problem) ForCreation(ConnectionBody? body) =>
        body is null
            ? (null, ProblemResults.BadRequest("No connection", "The body is a JSON object: {name, provider_id, config: {host, port, database, user, password}}."))
            : Merge(body, existing: null, existingPassword: null);

    /// <summary>A change: what the body leaves out (the password above all) stays as it is.</summary>
    public static (ConnectionDefinition? Definition, IResult? Problem) ForChange(ConnectionBody? body, StoredConnection existing, string password) =>
        Merge(body ?? new ConnectionBody(null, null, null, null, null), existing, password);

    private static (ConnectionDefinition?, IResult?) Merge(ConnectionBody body, StoredConnection? existing, string? existingPassword)
    {
        var config = body.Config ?? new ConnectionConfigBody(null, null, null, null, null, null, null, null, null);
        var old = existing?.Settings;
        var name = body.Name ?? existing?.Name;
        if (string.IsNullOrEmpty(name))
        {
            return Invalid("name", "name is what the other APIs call the connection by (connectionName): letters, digits, '_' and '-'.");
        }
        if (!NamePattern().IsMatch(name))
        {
            return Invalid("name", $"name '{name}' is not 1 to 63 letters, digits, '_' and '-' (starting with no '-').");
        }
        if (name == WarehouseDatabase.BuiltInConnectionName)
        {
            return Invalid("name", $"'{WarehouseDatabase.BuiltInConnectionName}' is the built-in warehouse's name.");
        }
        if ((body.ProviderId ?? body.ProviderType) is { } provider && provider != StoredConnection.PostgresProvider)
        {
            return Invalid("provider_id", $"provider_id '{provider}' is not supported here: connections are to PostgreSQL/PostGIS ('postgres').");
        }
        var host = config.Host ?? config.Server ?? old?.Host;
        if (string.IsNullOrWhiteSpace(host) || host.Length > 255)
        {
            return Invalid("config.host", "config.host is the PostgreSQL server's name or address (at most 255 characters).");
        }
        var port = old?.Port ?? DefaultPort;
        if (config.Port is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } portValue && !TryPort(portValue, out port))
        {
            return Invalid("config.port", "config.port is a TCP port, 1 to 65535.");
        }
        var database = config.Database ?? old?.Database;
        if (string.IsNullOrWhiteSpace(database))
        {
            return Invalid("config.database", "config.database is the database to connect to.");
        }
        var user = config.User ?? config.Username ?? old?.User;
        if (string.IsNullOrWhiteSpace(user))
        {
            return Invalid("config.user", "config.user is the PostgreSQL login the connection uses.");
        }
        var password = config.Password ?? existingPassword;
        if (password is null)
        {
            return Invalid("config.password", "config.password is the login's password (kept encrypted, never returned).");
        }
        var sslMode = old?.SslMode ?? PostgresSslModes.Parse(DefaultSslMode)!.Value;
        if (config.SslMode is { } sslModeName)
        {
            if (PostgresSslModes.Parse(sslModeName) is not { } parsed)
            {
                return Invalid("config.sslmode", $"config.sslmode is one of {string.Join(", ", PostgresSslModes.Names)}.");
            }
            sslMode = parsed;
        }
        var schema = config.Schema ?? old?.DefaultSchema ?? DefaultSchema;
        if (string.IsNullOrWhiteSpace(schema))
        {
            return Invalid("config.schema", "config.schema is where a table name without a schema is looked for (by default 'public').");
        }
        var privacy = body.Privacy ?? existing?.Privacy ?? StoredConnection.PrivatePrivacy;
        if (privacy is not (StoredConnection.PrivatePrivacy or StoredConnection.SharedPrivacy))
        {
            return Invalid("privacy", "privacy is 'private' (only its owner uses it) or 'shared' (the whole organization does).");
        }
        return (new ConnectionDefinition(name, new PostgresConnectionSettings(host, port, database, user, sslMode, schema), password, privacy), null);
    }

    private static bool TryPort(JsonElement value, out int port)
    {
        port = 0;
        var parsed = value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out port)
            || value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out port);
        return parsed && port is >= 1 and <= 65535;
    }

    private static (ConnectionDefinition?, IResult?) Invalid(string member, string detail) =>
        (null, ProblemResults.BadRequest($"Invalid {member}", detail));
}
