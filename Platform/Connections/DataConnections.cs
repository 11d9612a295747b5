using System.Collections.Concurrent;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Connections;

/// <summary>
/// A connection name resolved for a caller: where its SQL runs. The built-in warehouse runs it as the organization's role
/// (<see cref="OrganizationDataSources"/>); a user's own PostgreSQL under the credentials of its connection, so its
/// database's permissions decide what can be read.
/// </summary>
public sealed class DataConnection(string name, bool isBuiltIn, string defaultSchema, Func<CancellationToken, Task<NpgsqlConnection>> open)
{
    public string Name { get; } = name;

    /// <summary>The platform's own warehouse (<c>carto_dw</c>), whose changes the platform sees as data-changed events.</summary>
    public bool IsBuiltIn { get; } = isBuiltIn;

    /// <summary>Where a table name without a schema is looked for: the organization's schema, or the connection's.</summary>
    public string DefaultSchema { get; } = defaultSchema;

    public Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => open(cancellationToken);

    /// <summary>How long caches keep at most what is made from a user's own database, whose changes the platform does not see.</summary>
    public static readonly TimeSpan UnseenChangesMaxAge = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long an answer made from connection <paramref name="name"/> may be kept, for <paramref name="wanted"/>: as long
    /// on the built-in warehouse, whose data-changed events purge caches; <see cref="UnseenChangesMaxAge"/> at most elsewhere.
    /// </summary>
    public static TimeSpan MaxAge(string name, TimeSpan wanted) =>
        name == WarehouseDatabase.BuiltInConnectionName || wanted <= UnseenChangesMaxAge ? wanted : UnseenChangesMaxAge;
}

/// <summary>
/// Resolves the connection names every API takes (<c>/maps/{connection}/…</c>, <c>/sql/{connection}/…</c>) to a
/// <see cref="DataConnection"/>: <c>carto_dw</c>, or a connection the caller may use. Each user connection gets a pool
/// of its own, made again when the connection changes.
/// </summary>
public sealed class DataConnections(OrganizationDataSources organizations, ConnectionStore store, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    /// <summary>Sessions each process keeps open at most to one user connection: their servers are not ours to fill.</summary>
    private const int MaxPoolSizePerConnection = 10;

    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Version, NpgsqlDataSource DataSource)> _pools = new();

    /// <summary>The connection <paramref name="name"/> as <paramref name="scope"/> may use it; null when there is none.</summary>
    public async Task<DataConnection?> FindAsync(ConnectionScope scope, string name, CancellationToken cancellationToken)
    {
        if (name == WarehouseDatabase.BuiltInConnectionName)
        {
            return new DataConnection(name, isBuiltIn: true, WarehouseDatabase.OrganizationSchema(scope.OrganizationSlug),
                open => organizations.OpenConnectionAsync(scope.OrganizationSlug, open));
        }
        if (await store.FindByNameAsync(scope, name, cancellationToken) is not var (connection, password))
        {
            return null;
        }
        var dataSource = Pool(connection, password);
        return new DataConnection(name, isBuiltIn: false, connection.Settings.DefaultSchema, open => dataSource.OpenConnectionAsync(open).AsTask());
    }

    /// <summary>Drops the pool of a deleted connection now rather than when the process ends.</summary>
    public async Task ForgetAsync(Guid connectionId)
    {
        if (_pools.TryRemove(connectionId, out var pool))
        {
            await pool.DataSource.DisposeAsync();
        }
    }

    private NpgsqlDataSource Pool(StoredConnection connection, string password)
    {
        if (_pools.TryGetValue(connection.Id, out var pool) && pool.Version == connection.UpdatedAt)
        {
            return pool.DataSource;
        }
        var connectionString = connection.Settings.ConnectionString(password);
        connectionString.MaxPoolSize = MaxPoolSizePerConnection;
        var dataSource = new NpgsqlDataSourceBuilder(connectionString.ConnectionString) { Name = "connection:" + connection.Name }
            .UseLoggerFactory(loggerFactory)
            .UsePostGisWkb()
            .Build();
        var kept = _pools.AddOrUpdate(connection.Id, (connection.UpdatedAt, dataSource),
            (_, existing) => existing.Version >= connection.UpdatedAt ? existing : (connection.UpdatedAt, dataSource));
        if (kept.DataSource != dataSource)
        {
            dataSource.Dispose();
        }
        else if (pool.DataSource is { } replaced)
        {
            // The connection changed (new host, user or password): sessions in use finish on the old pool, which closes them.
            replaced.Dispose();
        }
        return kept.DataSource;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools.Values)
        {
            await pool.DataSource.DisposeAsync();
        }
    }
}
