using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Connections;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Platform.Catalog;

public sealed class CatalogOptions
{
    /// <summary>How long one statement reading a connection's catalog may run (a count, a bounds).</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Reads a connection (or one table of it) as the caller may (<see cref="DataConnections"/>) and writes what it holds
/// into the catalog, then purges the catalog's cached listings of that connection.
/// </summary>
public sealed class CatalogRefresher(DataConnections connections, CatalogStore store, HttpCachePurger purger, IOptions<CatalogOptions> options)
{
    /// <summary>Whether <paramref name="scope"/> may use connection <paramref name="name"/> (and so read its catalog).</summary>
    public async Task<bool> MayUseAsync(ConnectionScope scope, string name, CancellationToken cancellationToken) =>
        await connections.FindAsync(scope, name, cancellationToken) is not null;

    /// <summary>Reads connection <paramref name="name"/> whole; false when the scope may use no such connection.</summary>
    public async Task<bool> RefreshConnectionAsync(ConnectionScope scope, string name, CancellationToken cancellationToken)
    {
        if (await connections.FindAsync(scope, name, cancellationToken) is not { } connection)
        {
            return false;
        }
        List<CatalogTable> tables;
        await using (var session = await connection.OpenAsync(cancellationToken))
        {
            tables = await CatalogReader.ReadAsync(session, schema: null, table: null, options.Value.StatementTimeout, cancellationToken);
        }
        await store.ReplaceConnectionAsync(scope.OrganizationId, name, tables, cancellationToken);
        await purger.PurgeAsync([SurrogateKeys.Catalog(scope.OrganizationId, name)], cancellationToken);
        return true;
    }

    /// <summary>
    /// Reads one table again after it changed at <paramref name="changedAt"/>: it is kept as it is now, or removed when
    /// it is gone (or no longer readable). Nothing when the connection was never catalogued or is unknown.
    /// </summary>
    public async Task RefreshTableAsync(ConnectionScope scope, string name, string schema, string table, DateTimeOffset changedAt,
        CancellationToken cancellationToken)
    {
        if (!await store.IsCataloguedAsync(scope.OrganizationId, name, cancellationToken)
            || await connections.FindAsync(scope, name, cancellationToken) is not { } connection)
        {
            return;
        }
        List<CatalogTable> found;
        await using (var session = await connection.OpenAsync(cancellationToken))
        {
            found = await CatalogReader.ReadAsync(session, schema, table, options.Value.StatementTimeout, cancellationToken);
        }
        if (found is [var current])
        {
            await store.UpsertTableAsync(scope.OrganizationId, name, current, changedAt, cancellationToken);
        }
        else
        {
            await store.DeleteTableAsync(scope.OrganizationId, name, schema, table, cancellationToken);
        }
        await purger.PurgeAsync([SurrogateKeys.Catalog(scope.OrganizationId, name)], cancellationToken);
    }
}
