using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using Npgsql;

namespace CartoSelfHosted.SqlWorker.Jobs;

/// <summary>
/// Which tables of the organization's schema a job's transaction created, changed or dropped: the catalog before and
/// after (objects, names, storage, columns) plus PostgreSQL's count of rows the transaction wrote to each table.
/// </summary>
public static class ChangedTables
{
    public sealed record Snapshot(Dictionary<uint, (string Name, string Shape)> Relations);

    public static async Task<Snapshot> TakeAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken)
    {
        // Shape: storage (TRUNCATE, rewrites) and columns (ALTER TABLE); views and foreign tables count too.
        await using var command = new NpgsqlCommand("""
            SELECT c.oid, c.relname, c.relfilenode::text || ':' || coalesce((
                SELECT string_agg(a.attname || ' ' || a.atttypid::text, ',' ORDER BY a.attnum)
                FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        var relations = new Dictionary<uint, (string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            relations[reader.GetFieldValue<uint>(0)] = (reader.GetString(1), reader.GetString(2));
        }
        return new Snapshot(relations);
    }

    public static async Task<List<ChangedTable>> FindAsync(NpgsqlConnection connection, string schema, Snapshot before,
        CancellationToken cancellationToken)
    {
        var after = await TakeAsync(connection, schema, cancellationToken);
        var changes = new Dictionary<string, string>();
        foreach (var (oid, (name, shape)) in after.Relations)
        {
            if (!before.Relations.TryGetValue(oid, out var earlier) || earlier.Name != name)
            {
                changes[name] = DataChangedMessage.Changes.Created;
            }
            else if (earlier.Shape != shape)
            {
                changes[name] = DataChangedMessage.Changes.Altered;
            }
        }
        foreach (var (oid, (name, _)) in before.Relations)
        {
            if (!after.Relations.TryGetValue(oid, out var later) || later.Name != name)
            {
                changes.TryAdd(name, DataChangedMessage.Changes.Dropped);
            }
        }
        await using (var command = new NpgsqlCommand("""
            SELECT relname FROM pg_stat_xact_user_tables
            WHERE schemaname = $1 AND n_tup_ins + n_tup_upd + n_tup_del > 0
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = schema });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                changes.TryAdd(reader.GetString(0), DataChangedMessage.Changes.Rows);
            }
        }
        return changes.OrderBy(change => change.Key, StringComparer.Ordinal)
            .Select(change => new ChangedTable(schema, change.Key, change.Value)).ToList();
    }
}
