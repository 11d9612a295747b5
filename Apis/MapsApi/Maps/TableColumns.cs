using CartoSelfHosted.MapsApi.Sql;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>A table found for a caller, with a version of its columns (<see cref="MapSourceResolver.FindGrantedTableAsync"/>).</summary>
public sealed record FoundTable(SourceTable Table, string ColumnsVersion);

/// <summary>
/// The columns of table sources as describing them gives them, kept per database, table and version of the table's
/// columns: a table whose columns changed has a new version, read by the lookup that finds it, so it is described again
/// and nothing stale is served. Every widget and statistic of a table asks; described each time, it cost a round trip
/// and a statement to plan on top of the widget's own.
/// </summary>
public sealed class TableColumns(IMemoryCache cache)
{
    /// <summary>Versions no longer asked for (columns changed, table dropped) leave the cache after this long.</summary>
    private static readonly TimeSpan KeptUnused = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The columns of <paramref name="table"/>; described in <paramref name="warehouse"/>'s open transaction when not
    /// known (which then runs read-only under <paramref name="statementTimeout"/>, as <see cref="ReadOnlyBatch"/> makes it).
    /// </summary>
    public async Task<IReadOnlyList<QueryColumn>> GetAsync(NpgsqlConnection warehouse, FoundTable table, TimeSpan statementTimeout,
        CancellationToken cancellationToken)
    {
        // The database's address: the same schema, table and column types mean the same description only in one database.
        var key = (nameof(TableColumns), warehouse.Host, warehouse.Port, warehouse.Database, table.Table.Schema, table.Table.Table, table.ColumnsVersion);
        if (cache.TryGetValue(key, out IReadOnlyList<QueryColumn>? known))
        {
            return known!;
        }
        var described = await MapSourceResolver.DescribeAsync(warehouse, table.Table.QuotedName, [], statementTimeout, cancellationToken);
        cache.Set(key, (IReadOnlyList<QueryColumn>)described, new MemoryCacheEntryOptions { SlidingExpiration = KeptUnused });
        return described;
    }
}
