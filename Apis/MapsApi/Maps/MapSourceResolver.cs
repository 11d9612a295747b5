using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.MapsApi.Widgets;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Tiles;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>A map instantiation's parameters, from the query string or the JSON body alike (CARTO's names).</summary>
public sealed record MapRequest(string? Name, string? Q, JsonElement? QueryParameters, string? Columns, string? SpatialDataColumn,
    string? SpatialDataType, string? TileResolution, JsonElement? Filters = null, string? AggregationExp = null,
    string? AggregationResLevel = null, string? FeatureBbox = null);

/// <summary>
/// Turns a map instantiation into a <see cref="MapSource"/>: the table is looked up in the connection's catalog as the
/// caller's organization (or the connection's login) sees it (a table it cannot read is one that does not exist), the
/// query is described by PostgreSQL read-only under the statement timeout, and every column the caller named must be one
/// of the source's.
/// </summary>
public sealed class MapSourceResolver(IOptions<MapsApiOptions> options)
{
    public const string DefaultSpatialColumn = "geom";

    public const string DefaultQuadbinColumn = "quadbin";

    /// <summary>CARTO's default <c>aggregationResLevel</c> for quadbin sources.</summary>
    public const int DefaultQuadbinResolutionLevel = 6;

    /// <summary>The deepest <c>aggregationResLevel</c>: cells of 1/1024 of a tile's side, a million to a tile at most.</summary>
    public const int MaxResolutionLevel = 10;

    public async Task<(MapSource? Source, IResult? Problem)> ResolveAsync(string kind, DataConnection connection, MapRequest request,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (request.SpatialDataType is not (null or "" or "geo" or "quadbin"))
        {
            return (null, ProblemResults.BadRequest("Unsupported spatialDataType",
                $"spatialDataType '{request.SpatialDataType}' is not supported here: 'geo' (a geometry column) and 'quadbin' (a column of " +
                "quadbin cells, or a geometry column whose points are binned into cells) are. H3 needs the h3 extension in the warehouse."));
        }
        var (quadbin, quadbinProblem) = request.SpatialDataType == "quadbin" ? ParseQuadbinAggregation(request) : (null, null);
        if (quadbinProblem is not null)
        {
            return (null, quadbinProblem);
        }
        var tileResolution = 0.5;
        if (request.TileResolution is { Length: > 0 } resolutionText &&
            (!double.TryParse(resolutionText, NumberStyles.Float, CultureInfo.InvariantCulture, out tileResolution) ||
             tileResolution is not (0.25 or 0.5 or 1 or 2 or 4)))
        {
            return (null, ProblemResults.BadRequest("Invalid tileResolution", "tileResolution is one of 0.25, 0.5, 1, 2 and 4."));
        }
        var featureBbox = false;
        if (request.FeatureBbox is { Length: > 0 } featureBboxText && !bool.TryParse(featureBboxText, out featureBbox))
        {
            return (null, ProblemResults.BadRequest("Invalid featureBbox", "featureBbox is true or false."));
        }
        var (parameters, parametersError) = QueryParameters.Parse(request.QueryParameters);
        if (parameters is null)
        {
            return (null, ProblemResults.BadRequest("Invalid queryParameters", parametersError!));
        }
        await using var warehouse = await connection.OpenAsync(cancellationToken);
        // Never committed: the connection's return to the pool rolls it back.
        await using var transaction = await warehouse.BeginTransactionAsync(cancellationToken);

        SourceTable? table = null;
        string? query = null;
        if (kind == MapSource.TableKind)
        {
            if (string.IsNullOrWhiteSpace(request.Name))
            {
                return (null, ProblemResults.BadRequest("No table name", "name is the table to map, as table or schema.table."));
            }
            var (found, tableProblem) = await FindGrantedTableAsync(warehouse, user, connection, request.Name, cancellationToken);
            if (found is null)
            {
                return (null, tableProblem);
            }
            table = found.Table;
            if (parameters.Count > 0)
            {
                return (null, ProblemResults.BadRequest("Invalid queryParameters", "A table source takes no queryParameters."));
            }
        }
        else
        {
            if (string.IsNullOrWhiteSpace(request.Q))
            {
                return (null, ProblemResults.BadRequest("No query", "q is the SQL query to map, and it is missing or empty."));
            }
            if (SourceAccess.CheckQuery(user, connection, request.Q) is { } refused)
            {
                return (null, refused);
            }
            query = request.Q;
        }

        var draft = new MapSource(kind, connection.Name, user.GetOrganizationId(), user.GetOrganizationSlug(), table, query,
            request.QueryParameters is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } raw ? raw.GetRawText() : null,
            [], request.SpatialDataColumn is { Length: > 0 } spatial ? spatial : quadbin is not null ? DefaultQuadbinColumn : DefaultSpatialColumn,
            tileResolution, [], Quadbin: quadbin, FeatureBbox: featureBbox);
        try
        {
            var described = await DescribeAsync(warehouse, draft.FromClause, parameters, options.Value.StatementTimeout, cancellationToken);
            // A quadbin source's cells carry its aggregates, over any of its columns: it takes no columns, as CARTO's.
            var (columns, columnsProblem) = ChooseColumns(described, draft, quadbin is not null ? null : request.Columns);
            if (columns is null)
            {
                return (null, columnsProblem);
            }
            var (filters, filterColumns) = ChooseFilters(described, draft, parameters, request.Filters);
            var readsTables = table is not null ? [table] : await TablesReadAsync(warehouse, draft, parameters, cancellationToken);
            var resolved = draft with { Columns = columns, ReadsTables = readsTables, Filters = filters, FilterColumns = filterColumns };
            if (resolved.Quadbin is { } aggregation)
            {
                // Refuses what is not aggregates over the source's columns now, rather than in every tile.
                AggregateExpression.ParseList(aggregation.Expression, resolved.Columns.Select(column => column.Name).ToHashSet());
                // Points binned as tiles are made go as deep as cells do; a column of cells is as deep as its cells are.
                if (!resolved.HasGeometry)
                {
                    resolved = resolved with
                    {
                        Quadbin = aggregation with { DataResolution = await DataResolutionAsync(warehouse, resolved, parameters, cancellationToken) },
                    };
                }
            }
            return (resolved, null);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } problem)
        {
            return (null, problem);
        }
        catch (WidgetError error)
        {
            return (null, error.ToProblem());
        }
    }

    /// <summary>
    /// A quadbin source's <c>aggregationExp</c> (required, as CARTO's) and <c>aggregationResLevel</c> (6 by default), with
    /// the deepest data resolution, that of points binned as tiles are made; a column of cells has its own, read once the
    /// source is described.
    /// </summary>
    private static (QuadbinAggregation? Aggregation, IResult? Problem) ParseQuadbinAggregation(MapRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.AggregationExp))
        {
            return (null, ProblemResults.BadRequest("No aggregationExp",
                "A quadbin source needs aggregationExp: the aggregates its cells carry, e.g. 'count(*) AS count, sum(population) AS population'."));
        }
        var level = DefaultQuadbinResolutionLevel;
        if (request.AggregationResLevel is { Length: > 0 } levelText &&
            (!int.TryParse(levelText, NumberStyles.None, CultureInfo.InvariantCulture, out level) || level > MaxResolutionLevel))
        {
            return (null, ProblemResults.BadRequest("Invalid aggregationResLevel",
                $"aggregationResLevel is a whole number from 0 to {MaxResolutionLevel}: how many levels below a tile its cells are."));
        }
        return (new QuadbinAggregation(request.AggregationExp, level, Quadbin.MaxResolution), null);
    }

    /// <summary>
    /// The resolution of a quadbin column's cells, read from one of them: CARTO's sources hold cells of one resolution.
    /// An empty source has none, and no tile deeper than the world's.
    /// </summary>
    private async Task<int> DataResolutionAsync(NpgsqlConnection warehouse, MapSource source, List<NpgsqlParameter> parameters,
        CancellationToken cancellationToken)
    {
        var column = $"source.{SqlIdentifier.Quote(source.SpatialColumn)}";
        var probe = new NpgsqlBatchCommand($"SELECT (({column} >> 52) & 31)::int FROM {source.FromClause} AS source WHERE {column} IS NOT NULL LIMIT 1");
        probe.Parameters.AddRange(parameters.Select(parameter => parameter.Clone()).ToArray());
        await using var batch = ReadOnlyBatch.Create(warehouse, options.Value.StatementTimeout, probe);
        return await batch.ExecuteScalarAsync(cancellationToken) is int resolution ? resolution : 0;
    }

    /// <summary>
    /// CARTO's <c>filters</c>, baked into the source: checked here against its columns (a bad one is a 400 now, not a
    /// failed tile later) and kept as given, with the types of the columns they name. None for an empty object.
    /// </summary>
    private static (string? Filters, IReadOnlyList<SourceColumn>? Columns) ChooseFilters(List<QueryColumn> described, MapSource source,
        List<NpgsqlParameter> parameters, JsonElement? filters)
    {
        if (filters is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } given
            || given.ValueKind == JsonValueKind.Object && !given.EnumerateObject().Any())
        {
            return (null, null);
        }
        // Refuses anything but an object of columns and their filters, as a widget's filters.
        WidgetFilters.Apply(new WidgetSql(source.FromClause, described, parameters.Select(parameter => parameter.Clone()).ToList()), given,
            logicalOperator: null, spatialFilters: null);
        var named = given.EnumerateObject().Select(column => column.Name).ToHashSet();
        return (given.GetRawText(), described.Where(column => named.Contains(column.Name))
            .Select(column => new SourceColumn(column.Name, column.SchemaType)).DistinctBy(column => column.Name).ToList());
    }

    /// <summary>
    /// The table a name means (<see cref="FindTableAsync"/>) if the token may read it; else the problem to answer: 403 when
    /// an API access token is not granted it — by the name as written, before the lookup, so a refused token learns nothing
    /// of what exists, and again by the table the name turned out to mean — and 404 when the organization has no such table.
    /// </summary>
    internal static async Task<(FoundTable? Table, IResult? Problem)> FindGrantedTableAsync(NpgsqlConnection warehouse, ClaimsPrincipal user,
        DataConnection connection, string name, CancellationToken cancellationToken)
    {
        if (SourceAccess.CheckTableName(user, connection, name) is { } refused)
        {
            return (null, refused);
        }
        if (await FindTableAsync(warehouse, name, connection.DefaultSchema, cancellationToken) is not { } table)
        {
            return (null, ProblemResults.NotFound("Unknown table", connection.IsBuiltIn
                ? $"There is no table '{name}' this organization can read."
                : $"There is no table '{name}' the connection '{connection.Name}' can read."));
        }
        return SourceAccess.CheckTable(user, connection, table.Table) is { } refusedTable ? (null, refusedTable) : (table, null);
    }

    /// <summary>
    /// The table a name means: <c>table</c> (in the connection's default schema), <c>schema.table</c>, or
    /// <c>database.schema.table</c> as CARTO's fully qualified names have it; parts may be double-quoted. An unquoted part
    /// that matches no table is tried in lower case too, as PostgreSQL folds it. With it, a version of its columns: a hash of
    /// their names and types, which changes whenever a column is added, dropped, renamed or retyped.
    /// </summary>
    private static async Task<FoundTable?> FindTableAsync(NpgsqlConnection warehouse, string name, string defaultSchema,
        CancellationToken cancellationToken)
    {
        if (ParseTableName(name, defaultSchema) is not var (schema, table))
        {
            return null;
        }
        await using var command = new NpgsqlCommand(
            """
            SELECT n.nspname, c.relname,
                   (SELECT md5(string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum))
                    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY ($1) AND c.relname = ANY ($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND has_table_privilege(c.oid, 'SELECT')
            ORDER BY n.nspname = $1[1] DESC, c.relname = $2[1] DESC
            LIMIT 1
            """, warehouse);
        command.Parameters.Add(new NpgsqlParameter { Value = schema.Spellings });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Spellings });
        // Asked before every widget and map of a table: prepared once per connection (Npgsql keeps it across uses), it
        // is planned once, which cost more than running it (0.21 ms a lookup unprepared, most of a cheap widget's
        // overhead). Only statements whose result never changes shape are prepared: a prepared SELECT * over a table
        // whose columns changed would fail ("cached plan must not change result type").
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new FoundTable(new SourceTable(reader.GetString(0), reader.GetString(1)), reader.IsDBNull(2) ? "" : reader.GetString(2))
            : null;
    }

    /// <summary>The schema and table a name means (<see cref="FindTableAsync"/>), as written; null when it is no table's name.</summary>
    internal static (NamePart Schema, NamePart Table)? ParseTableName(string name, string defaultSchema) => QualifiedName.Split(name) switch
    {
        [var table] => (new NamePart(defaultSchema, Quoted: true), table),
        [.., var schema, var table] parts when parts.Count <= 3 => (schema, table),
        _ => null,
    };

    /// <summary>The columns of the rows <paramref name="fromClause"/> names (a quoted table, or a query as a subquery).</summary>
    internal static async Task<List<QueryColumn>> DescribeAsync(NpgsqlConnection warehouse, string fromClause, List<NpgsqlParameter> parameters,
        TimeSpan statementTimeout, CancellationToken cancellationToken)
    {
        var describe = new NpgsqlBatchCommand($"SELECT * FROM {fromClause} AS source LIMIT 0");
        describe.Parameters.AddRange(parameters.Select(parameter => parameter.Clone()).ToArray());
        await using var batch = ReadOnlyBatch.Create(warehouse, statementTimeout, describe);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var columns = new List<QueryColumn>();
        for (var ordinal = 0; ordinal < reader.FieldCount; ordinal++)
        {
            // A column of a type no client could read is left out of the map rather than failing it.
            if (QueryColumn.TryDescribe(reader, ordinal) is { } column)
            {
                columns.Add(column);
            }
        }
        return columns;
    }

    private static (List<SourceColumn>? Columns, IResult? Problem) ChooseColumns(List<QueryColumn> described, MapSource source, string? requested)
    {
        var byName = described.GroupBy(column => column.Name).ToDictionary(group => group.Key, group => group.First());
        if (!byName.TryGetValue(source.SpatialColumn, out var spatial))
        {
            return (null, ProblemResults.BadRequest("Unknown spatialDataColumn",
                $"The source has no column '{source.SpatialColumn}' (spatialDataColumn, by default " +
                $"'{(source.Quadbin is null ? DefaultSpatialColumn : DefaultQuadbinColumn)}')."));
        }
        if (spatial.Kind != ColumnKind.Geometry && (source.Quadbin is null || spatial.Kind != ColumnKind.BigInteger))
        {
            return (null, ProblemResults.BadRequest("Unknown spatialDataColumn", source.Quadbin is null
                ? $"Column '{source.SpatialColumn}' is of type {spatial.DatabaseType}, not a geometry: name the source's geometry column in spatialDataColumn."
                : $"Column '{source.SpatialColumn}' is of type {spatial.DatabaseType}: a quadbin source's spatialDataColumn holds quadbin cells " +
                  "(bigint) or geometries whose points are binned into cells."));
        }
        IEnumerable<QueryColumn> chosen;
        if (string.IsNullOrWhiteSpace(requested))
        {
            chosen = byName.Values.Where(column => column.Kind != ColumnKind.Geometry && column.Name != source.SpatialColumn);
        }
        else
        {
            // The platform's own properties are no columns, yet naming one is no error: CARTO's Builder names _carto_feature_id,
            // which every feature carries anyway.
            var names = requested.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct()
                .Where(name => !TileFeatureProperties.Names.Contains(name)).ToList();
            if (names.FirstOrDefault(name => !byName.ContainsKey(name)) is { } unknown)
            {
                return (null, ProblemResults.BadRequest("Unknown column", $"The source has no column '{unknown}' (named in columns)."));
            }
            chosen = names.Where(name => name != source.SpatialColumn).Select(name => byName[name]);
        }
        // A table's features come from its prepared copy, whose own columns have these names; and every feature carries
        // the platform's properties, whatever columns of those names the source has.
        var columns = chosen
            .Where(column => column.Kind != ColumnKind.Geometry && !TileFeatureProperties.Names.Contains(column.Name) &&
                (source.TileTable is null || !PreparedTileTables.ReservedColumns.Contains(column.Name)))
            .Select(column => new SourceColumn(column.Name, column.SchemaType))
            .Append(new SourceColumn(source.SpatialColumn, spatial.SchemaType))
            .ToList();
        return (columns, null);
    }

    /// <summary>The tables a query reads, from its plan: their data-changed events purge what is made from it.</summary>
    private async Task<List<SourceTable>> TablesReadAsync(NpgsqlConnection warehouse, MapSource source, List<NpgsqlParameter> parameters,
        CancellationToken cancellationToken)
    {
        var explain = new NpgsqlBatchCommand($"EXPLAIN (VERBOSE, FORMAT JSON) SELECT * FROM {source.FromClause} AS source");
        explain.Parameters.AddRange(parameters.Select(parameter => parameter.Clone()).ToArray());
        await using var batch = ReadOnlyBatch.Create(warehouse, options.Value.StatementTimeout, explain);
        var plan = (string)(await batch.ExecuteScalarAsync(cancellationToken))!;
        var tables = new HashSet<SourceTable>();
        Collect(JsonDocument.Parse(plan).RootElement);
        return tables.OrderBy(table => table.Schema).ThenBy(table => table.Table).ToList();

        void Collect(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item);
                }
            }
            else if (element.ValueKind == JsonValueKind.Object)
            {
                if (element.TryGetProperty("Relation Name", out var relation) && element.TryGetProperty("Schema", out var schema))
                {
                    tables.Add(new SourceTable(schema.GetString()!, relation.GetString()!));
                }
                foreach (var property in element.EnumerateObject())
                {
                    Collect(property.Value);
                }
            }
        }
    }
}
