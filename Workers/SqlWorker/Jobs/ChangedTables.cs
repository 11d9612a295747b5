using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using Npgsql;

namespace CartoSelfHosted.SqlWorker.Jobs;

/// <summary>
/// Which tables of the organization's schema a job's transaction created, changed or dropped: the catalog before and
/// after (objects, names, storage, columns) and the rows written to each table between the two.
/// </summary>
public static class ChangedTables
{
    public sealed record Relation(string Name, string Shape, long RowsWritten);

    public static async Task<Dictionary<uint, Relation>> TakeAsync(NpgsqlConnection connection, string schema,
        CancellationToken cancellationToken)
    {
        // Shape: storage (TRUNCATE, rewrites) and columns (ALTER TABLE); views and foreign tables count too.
        // Rows written: PostgreSQL 15's per-transaction counters can still hold counts of the session's earlier
        // transactions (not yet flushed), so what matters is how much they grew between the two snapshots.
        await using var command = new NpgsqlCommand("""
            SELECT c.oid, c.relname, c.relfilenode::text || ':' || coalesce((
                       SELECT string_agg(a.attname || ' ' || a.atttypid::text, ',' ORDER BY a.attnum)
                       FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''),
                   coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_stat_xact_user_tables s ON s.relid = c.oid
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        var relations = new Dictionary<uint, Relation>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            relations[reader.GetFieldValue<uint>(0)] = new Relation(reader.GetString(1), reader.GetString(2), reader.GetInt64(3));
        }
        return relations;
    }

    public static async Task<List<ChangedTable>> FindAsync(NpgsqlConnection connection, string schema,
        Dictionary<uint, Relation> before, CancellationToken cancellationToken)
    {
        var after = await TakeAsync(connection, schema, cancellationToken);
        var changes = new Dictionary<string, string>();
        foreach (var (oid, relation) in after)
        {
            if (!before.TryGetValue(oid, out var earlier) || earlier.Name != relation.Name)
            {
                changes[relation.Name] = DataChangedMessage.Changes.Created;
            }
            else if (earlier.Shape != relation.Shape)
            {
                changes[relation.Name] = DataChangedMessage.Changes.Altered;
            }
            else if (relation.RowsWritten > earlier.RowsWritten)
            {
                changes[relation.Name] = DataChangedMessage.Changes.Rows;
            }
        }
        foreach (var (oid, relation) in before)
        {
            if (!after.TryGetValue(oid, out var later) || later.Name != relation.Name)
            {
                changes.TryAdd(relation.Name, DataChangedMessage.Changes.Dropped);
            }
        }
        return changes.OrderBy(change => change.Key, StringComparer.Ordinal)
            .Select(change => new ChangedTable(schema, change.Key, change.Value)).ToList();
    }
}
