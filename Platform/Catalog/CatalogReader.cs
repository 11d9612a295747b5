using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.Platform.Catalog;

/// <summary>
/// Describes the tables and views a connection's login may read, from PostgreSQL's own catalog: what is readable
/// (<c>has_table_privilege</c>) outside the system schemas and outside extensions (PostGIS's own tables), its columns and
/// their types, its geometry column (the first geometry or geography column, its type and SRID from the column's
/// type modifier), its size, and its rows and bounds: counted and measured for small tables, estimated from PostgreSQL's
/// statistics for big ones, so a connection of thousands of tables is described in seconds. Works without PostGIS too.
/// </summary>
public static partial class CatalogReader
{
    /// <summary>Up to this many rows (by PostgreSQL's estimate) a table's rows are counted and its bounds measured.</summary>
    public const long ExactBelowRows = 100_000;

    private const string Describe = """
        SELECT n.nspname, c.relname, c.relkind::text,
               (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                           'base', t.typname) ORDER BY a.attnum), '[]')
                FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text,
               c.reltuples::bigint,
               CASE WHEN c.relkind IN ('r', 'p', 'm') THEN pg_total_relation_size(c.oid) END,
               obj_description(c.oid, 'pg_class')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
          AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
          AND ($1::text IS NULL OR n.nspname = $1) AND ($2::text IS NULL OR c.relname = $2)
        ORDER BY n.nspname, c.relname
        """;

    /// <summary>Every table and view the session may read, or only <paramref name="schema"/>.<paramref name="table"/>.</summary>
    public static async Task<List<CatalogTable>> ReadAsync(NpgsqlConnection session, string? schema, string? table, TimeSpan statementTimeout,
        CancellationToken cancellationToken)
    {
        await using (var timeout = new NpgsqlCommand(
            $"SET statement_timeout = {(long)statementTimeout.TotalMilliseconds}", session))
        {
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }
        var described = new List<(CatalogTable Table, long Estimate)>();
        await using (var command = new NpgsqlCommand(Describe, session))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)schema ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)table ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var columns = JsonSerializer.Deserialize<List<DescribedColumn>>(reader.GetString(3), JsonSerializerOptions.Web)!;
                var geometry = columns.FirstOrDefault(column => column.Base is "geometry" or "geography");
                var (geometryType, srid) = geometry is null ? (null, null) : GeometryTypeOf(geometry.Type);
                described.Add((new CatalogTable(reader.GetString(0), reader.GetString(1), KindOf(reader.GetString(2)),
                    columns.Select(column => new CatalogColumn(column.Name, column.Type)).ToList(), geometry?.Name, geometryType, srid,
                    RowCount: null, RowCountEstimated: true, reader.IsDBNull(5) ? null : reader.GetInt64(5), Bounds: null,
                    reader.IsDBNull(6) ? null : reader.GetString(6)), reader.GetInt64(4)));
            }
        }
        var tables = new List<CatalogTable>(described.Count);
        foreach (var (found, estimate) in described)
        {
            tables.Add(await MeasureAsync(session, found, estimate, cancellationToken));
        }
        return tables;
    }

    /// <summary>
    /// Rows and bounds: counted and measured when PostgreSQL estimates few rows (or has never analyzed the table), else
    /// its estimates. A statement that fails or runs out of time leaves them unknown rather than failing the catalog.
    /// </summary>
    private static async Task<CatalogTable> MeasureAsync(NpgsqlConnection session, CatalogTable table, long estimate, CancellationToken cancellationToken)
    {
        var name = $"{SqlIdentifier.Quote(table.Schema)}.{SqlIdentifier.Quote(table.Name)}";
        var geometry = table.GeometryColumn is { } column ? SqlIdentifier.Quote(column) + "::geometry" : null;
        var exact = estimate < ExactBelowRows && table.Kind is CatalogTable.TableKind or CatalogTable.MaterializedViewKind;
        var sql = exact
            ? $"SELECT count(*), {(geometry is null ? "NULL::text" : $"ST_AsText(ST_Extent(CASE WHEN ST_SRID({geometry}) = 0 THEN {geometry} ELSE ST_Transform({geometry}, 4326) END))")} FROM {name}"
            : $"SELECT {Math.Max(estimate, 0)}::bigint, {(geometry is null ? "NULL::text" : $"ST_AsText(ST_Transform(ST_SetSRID(ST_EstimatedExtent({Literal(table.Schema)}, {Literal(table.Name)}, {Literal(table.GeometryColumn!)})::geometry, {table.Srid ?? 4326}), 4326))")}";
        try
        {
            await using var command = new NpgsqlCommand(sql, session);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var rows = exact || estimate >= 0 ? reader.GetInt64(0) : (long?)null;
            return table with { RowCount = rows, RowCountEstimated = !exact, Bounds = reader.IsDBNull(1) ? null : BoundsOf(reader.GetString(1)) };
        }
        catch (PostgresException)
        {
            return table with { RowCount = estimate >= 0 ? estimate : null, RowCountEstimated = true };
        }
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    private static string KindOf(string relkind) => relkind switch
    {
        "v" => CatalogTable.ViewKind,
        "m" => CatalogTable.MaterializedViewKind,
        "f" => CatalogTable.ForeignTableKind,
        _ => CatalogTable.TableKind,
    };

    /// <summary>The geometry type and SRID a column's type states: <c>geometry(Point,4326)</c> → (Point, 4326); none for plain <c>geometry</c>.</summary>
    private static (string? Type, int? Srid) GeometryTypeOf(string type) => TypeModifier().Match(type) is { Success: true } match
        ? (match.Groups[1].Value, match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : null)
        : (null, null);

    /// <summary>The corners of a WKT box or polygon PostGIS wrote (<c>ST_Extent</c> gives a POLYGON, a point, or a line).</summary>
    private static double[]? BoundsOf(string wkt)
    {
        var numbers = Number().Matches(wkt).Select(match => double.Parse(match.Value, CultureInfo.InvariantCulture)).ToList();
        if (numbers.Count < 2)
        {
            return null;
        }
        var xs = numbers.Where((_, index) => index % 2 == 0).ToList();
        var ys = numbers.Where((_, index) => index % 2 == 1).ToList();
        return [xs.Min(), ys.Min(), xs.Max(), ys.Max()];
    }

    [GeneratedRegex(@"^geo(?:metry|graphy)\(([A-Za-z]+)(?:,(\d+))?\)$")]
    private static partial Regex TypeModifier();

    [GeneratedRegex(@"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")]
    private static partial Regex Number();

    private sealed record DescribedColumn(string Name, string Type, string Base);
}
