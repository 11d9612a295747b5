using System.Text.Json;
using CartoSelfHosted.Platform.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.Platform.Catalog;

/// <summary>The catalog's rows in the metadata database (<c>catalog_connections</c>, <c>catalog_tables</c>), per organization and connection name.</summary>
public sealed class CatalogStore(MetadataDatabase metadata)
{
    private const string Columns = """
        schema_name, table_name, kind, columns::text, geometry_column, geometry_type, srid, row_count, row_count_estimated, size_bytes,
        bounds, description, changed_at, refreshed_at
        """;

    public async Task<bool> IsCataloguedAsync(Guid organizationId, string connection, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand(
            "SELECT EXISTS (SELECT FROM catalog_connections WHERE organization_id = $1 AND connection = $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = connection });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>What a whole connection holds now, in place of what the catalog had of it (in one transaction).</summary>
    public async Task ReplaceConnectionAsync(Guid organizationId, string connection, IReadOnlyList<CatalogTable> tables,
        CancellationToken cancellationToken)
    {
        await using var session = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        await using (var reset = new NpgsqlBatch(session, transaction))
        {
            reset.BatchCommands.Add(Statement("DELETE FROM catalog_tables WHERE organization_id = $1 AND connection = $2", organizationId, connection));
            reset.BatchCommands.Add(Statement("""
                INSERT INTO catalog_connections (organization_id, connection) VALUES ($1, $2)
                ON CONFLICT (organization_id, connection) DO UPDATE SET refreshed_at = now()
                """, organizationId, connection));
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }
        // The tables' change times are kept: a refresh reads what a table is, not when it last changed.
        foreach (var chunk in tables.Chunk(500))
        {
            await using var insert = new NpgsqlBatch(session, transaction);
            foreach (var table in chunk)
            {
                insert.BatchCommands.Add(Upsert(organizationId, connection, table, changedAt: null));
            }
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// One table as it is now, changed at <paramref name="changedAt"/>; nothing when its connection was never catalogued
    /// (its first listing reads it whole).
    /// </summary>
    public async Task UpsertTableAsync(Guid organizationId, string connection, CatalogTable table, DateTimeOffset? changedAt,
        CancellationToken cancellationToken)
    {
        await using var batch = metadata.DataSource.CreateBatch();
        batch.BatchCommands.Add(Upsert(organizationId, connection, table, changedAt, onlyWhenCatalogued: true));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteTableAsync(Guid organizationId, string connection, string schema, string table, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand(
            "DELETE FROM catalog_tables WHERE organization_id = $1 AND connection = $2 AND schema_name = $3 AND table_name = $4");
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = connection });
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets a connection's catalog (the connection was removed or renamed): its next listing reads it whole again.</summary>
    public async Task ForgetConnectionAsync(Guid organizationId, string connection, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("DELETE FROM catalog_connections WHERE organization_id = $1 AND connection = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = connection });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<CatalogPage<CatalogSchema>> ListSchemasAsync(Guid organizationId, string connection, int page, int pageSize,
        CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("""
            SELECT schema_name, count(*), count(*) OVER () FROM catalog_tables WHERE organization_id = $1 AND connection = $2
            GROUP BY schema_name ORDER BY schema_name LIMIT $3 OFFSET $4
            """);
        AddScope(command, organizationId, connection, page, pageSize);
        var items = new List<CatalogSchema>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new CatalogSchema(reader.GetString(0), reader.GetInt64(1)));
            total = reader.GetInt64(2);
        }
        return new CatalogPage<CatalogSchema>(items, page, pageSize, total);
    }

    public async Task<CatalogPage<CatalogTable>> ListTablesAsync(Guid organizationId, string connection, string schema, int page, int pageSize,
        CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand($"""
            SELECT {Columns}, count(*) OVER () FROM catalog_tables WHERE organization_id = $1 AND connection = $2 AND schema_name = $5
            ORDER BY table_name LIMIT $3 OFFSET $4
            """);
        AddScope(command, organizationId, connection, page, pageSize);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        var (items, total) = await ReadTablesAsync(command, cancellationToken);
        return new CatalogPage<CatalogTable>(items, page, pageSize, total);
    }

    public async Task<CatalogTable?> FindTableAsync(Guid organizationId, string connection, string schema, string table,
        CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand($"""
            SELECT {Columns}, 1::bigint FROM catalog_tables
            WHERE organization_id = $1 AND connection = $2 AND schema_name = $3 AND table_name = $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = connection });
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return (await ReadTablesAsync(command, cancellationToken)).Items.SingleOrDefault();
    }

    private static void AddScope(NpgsqlCommand command, Guid organizationId, string connection, int page, int pageSize)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = connection });
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize });
        command.Parameters.Add(new NpgsqlParameter { Value = (page - 1) * pageSize });
    }

    private static async Task<(List<CatalogTable> Items, long Total)> ReadTablesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<CatalogTable>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new CatalogTable(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                JsonSerializer.Deserialize<List<CatalogColumn>>(reader.GetString(3), JsonSerializerOptions.Web)!,
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.GetBoolean(8),
                reader.IsDBNull(9) ? null : reader.GetInt64(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<double[]>(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12), reader.GetFieldValue<DateTimeOffset>(13)));
            total = reader.GetInt64(14);
        }
        return (items, total);
    }

    private static NpgsqlBatchCommand Upsert(Guid organizationId, string connection, CatalogTable table, DateTimeOffset? changedAt,
        bool onlyWhenCatalogued = false)
    {
        var command = Statement($"""
            INSERT INTO catalog_tables (organization_id, connection, schema_name, table_name, kind, columns, geometry_column, geometry_type,
                                        srid, row_count, row_count_estimated, size_bytes, bounds, description, changed_at)
            SELECT $1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15
            {(onlyWhenCatalogued ? "WHERE EXISTS (SELECT FROM catalog_connections WHERE organization_id = $1 AND connection = $2)" : "")}
            ON CONFLICT (organization_id, connection, schema_name, table_name) DO UPDATE SET
                kind = excluded.kind, columns = excluded.columns, geometry_column = excluded.geometry_column,
                geometry_type = excluded.geometry_type, srid = excluded.srid, row_count = excluded.row_count,
                row_count_estimated = excluded.row_count_estimated, size_bytes = excluded.size_bytes, bounds = excluded.bounds,
                description = excluded.description, changed_at = coalesce(excluded.changed_at, catalog_tables.changed_at), refreshed_at = now()
            """, organizationId, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Kind });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(table.Columns, JsonSerializerOptions.Web) });
        command.Parameters.Add(Nullable(table.GeometryColumn, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(table.GeometryType, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(table.Srid, NpgsqlDbType.Integer));
        command.Parameters.Add(Nullable(table.RowCount, NpgsqlDbType.Bigint));
        command.Parameters.Add(new NpgsqlParameter { Value = table.RowCountEstimated });
        command.Parameters.Add(Nullable(table.SizeBytes, NpgsqlDbType.Bigint));
        command.Parameters.Add(Nullable(table.Bounds, NpgsqlDbType.Array | NpgsqlDbType.Double));
        command.Parameters.Add(Nullable(table.Description, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(changedAt, NpgsqlDbType.TimestampTz));
        return command;
    }

    private static NpgsqlBatchCommand Statement(string sql, Guid organizationId, string connection)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = connection });
        return command;
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
