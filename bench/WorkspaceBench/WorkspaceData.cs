using System.Globalization;
using CartoSelfHosted.Platform.Catalog;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.WorkspaceBench;

/// <summary>
/// An organization with 10,000 resources, the words of an ordinary GIS team's (roads, parcels, census tracts… of
/// places and years): 1,000 real tables in its warehouse schema (read by the catalog as workspace-api reads them),
/// 6,000 catalogued tables of 20 connections of its own, 2,980 saved maps and those 20 connections. Its user, an
/// editor, may use 17 of the connections (3 are a colleague's private ones) and read most maps (the colleague's private
/// ones not). Made the same on every run (a fixed seed).
/// </summary>
public sealed record WorkspaceData(string Metadata, string Warehouse, Guid OrganizationId, string Schema, Guid UserId, string Token)
{
    public const int WarehouseTables = 1000;
    public const int Connections = 20;
    public const int TablesPerConnection = 300;
    public const int Maps = 10_000 - WarehouseTables - Connections * TablesPerConnection - Connections;

    private static readonly string[] Subjects =
    [
        "roads", "road_segments", "parcels", "buildings", "rivers", "lakes", "census_tracts", "stores", "sales", "customers", "sensors",
        "traffic_counts", "bike_lanes", "bus_stops", "schools", "hospitals", "parks", "zoning", "flood_zones", "land_use", "power_lines",
        "pipelines", "wells", "permits", "crimes", "accidents", "trees", "addresses", "postcodes", "neighborhoods",
    ];

    private static readonly string[] Places =
    [
        "madrid", "lisbon", "paris", "berlin", "london", "rome", "vienna", "prague", "oslo", "dublin", "texas", "ohio", "quebec",
        "bavaria", "tuscany", "andalusia", "catalonia", "brittany", "saxony", "lombardy",
    ];

    private static readonly string[] Columns =
    [
        "name", "population", "area_ha", "length_m", "speed_limit", "surface_type", "owner", "created_at", "category", "status",
        "revenue", "lanes", "width_m", "material", "district", "postcode", "address", "price", "species", "diameter_cm", "capacity",
    ];

    private static readonly string[] Sources = ["survey", "census", "open data portal", "field campaign", "satellite imagery", "municipal registry"];

    /// <summary>Makes both databases, the organization, its user and every resource; the warehouse tables wait for the API's provisioning.</summary>
    public static async Task<WorkspaceData> CreateAsync(string postgres)
    {
        var suffix = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var (metadataName, warehouseName) = ($"bench_workspace_meta_{suffix}", $"bench_workspace_dw_{suffix}");
        await using (var admin = NpgsqlDataSource.Create(postgres))
        {
            foreach (var database in new[] { metadataName, warehouseName })
            {
                await using var create = admin.CreateCommand($"CREATE DATABASE {SqlIdentifier.Quote(database)}");
                await create.ExecuteNonQueryAsync();
            }
        }
        var metadata = new NpgsqlConnectionStringBuilder(postgres) { Database = metadataName }.ConnectionString;
        var warehouse = new NpgsqlConnectionStringBuilder(postgres) { Database = warehouseName }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(metadata);
        await new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance).MigrateAsync(CancellationToken.None);

        var token = ApiTokens.Generate();
        var organizationId = (Guid)(await ScalarAsync(dataSource, "INSERT INTO organizations (slug, name) VALUES ('bench', 'bench') RETURNING id"))!;
        var userId = await AddUserAsync(dataSource, organizationId, "bench@example.com", token);
        var colleagueId = await AddUserAsync(dataSource, organizationId, "colleague@example.com", ApiTokens.Generate());
        var random = new Random(16);

        // The connections (a placeholder for the password's ciphertext: search and the catalog listing never open them, though the
        // Connections API's listing would fail on it) and their catalogs,
        // written by CatalogStore as workspace-subscriber writes them.
        var catalog = new CatalogStore(new MetadataDatabase(dataSource));
        for (var c = 1; c <= Connections; c++)
        {
            var name = $"{Pick(random, Places)}_{Pick(random, ["warehouse", "postgis", "gis_db", "analytics"])}_{c:D2}";
            var (privacy, owner) = c switch { <= 3 => ("private", userId), <= 6 => ("private", colleagueId), _ => ("shared", userId) };
            await using (var insert = dataSource.CreateCommand("""
                INSERT INTO connections (id, organization_id, owner_id, name, provider, host, port, database_name, username, protected_password,
                                         ssl_mode, default_schema, privacy)
                VALUES (gen_random_uuid(), $1, $2, $3, 'postgres', 'db.example.com', 5432, 'gis', 'analyst', 'not a secret', 'prefer', 'public', $4)
                """))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = organizationId });
                insert.Parameters.Add(new NpgsqlParameter { Value = owner });
                insert.Parameters.Add(new NpgsqlParameter { Value = name });
                insert.Parameters.Add(new NpgsqlParameter { Value = privacy });
                await insert.ExecuteNonQueryAsync();
            }
            var tables = Enumerable.Range(1, TablesPerConnection).Select(t => new CatalogTable(Pick(random, ["public", "gis", "staging", "reporting"]),
                TableName(random, t), CatalogTable.TableKind, TableColumns(random), "geom", "Geometry", 4326, random.Next(10, 5_000_000), false,
                random.Next(8192, 1 << 30), [-10, 35, 5, 45], random.Next(2) == 0 ? Description(random) : null)).DistinctBy(table => (table.Schema, table.Name)).ToList();
            await catalog.ReplaceConnectionAsync(organizationId, name, tables, CancellationToken.None);
        }

        // The maps, kept as MapStore keeps them (a public one's token is a placeholder: search never reveals it).
        await using (var batch = dataSource.CreateBatch())
        {
            for (var m = 0; m < Maps; m++)
            {
                var privacy = Pick(random, ["private", "private", "organization", "organization", "public"]);
                var command = new NpgsqlBatchCommand("""
                    INSERT INTO maps (organization_id, owner_id, title, description, privacy, datasets, kepler_map_config, public_token)
                    VALUES ($1, $2, $3, $4, $5, '[]', '{}', CASE WHEN $5 = 'public' THEN 'placeholder' END)
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
                command.Parameters.Add(new NpgsqlParameter { Value = random.Next(2) == 0 ? userId : colleagueId });
                command.Parameters.Add(new NpgsqlParameter { Value = MapTitle(random) });
                command.Parameters.Add(new NpgsqlParameter { Value = random.Next(3) == 0 ? (object)DBNull.Value : Description(random), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = privacy });
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync();
        }
        await using (var analyze = dataSource.CreateCommand("ANALYZE catalog_tables; ANALYZE maps; ANALYZE connections"))
        {
            await analyze.ExecuteNonQueryAsync();
        }
        return new WorkspaceData(metadata, warehouse, organizationId, WarehouseDatabase.OrganizationSchema("bench"), userId, token);
    }

    /// <summary>The 1,000 tables of the organization's schema, made as its role (as its imports make them), some with a comment.</summary>
    public async Task CreateWarehouseTablesAsync()
    {
        var random = new Random(1000);
        await using var connection = new NpgsqlConnection(Warehouse);
        await connection.OpenAsync();
        var sql = new System.Text.StringBuilder($"SET ROLE {SqlIdentifier.Quote(Schema)}; SET search_path = {SqlIdentifier.Quote(Schema)}, public;\n");
        var names = new HashSet<string>();
        while (names.Count < WarehouseTables)
        {
            var name = TableName(random, names.Count + 1);
            if (!names.Add(name))
            {
                continue;
            }
            var columns = string.Join(", ", TableColumns(random).Where(column => column.Name is not ("id" or "geom")).Select(column => $"{column.Name} text"));
            sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE {name} (id bigint, {columns}, geom geometry(Point, 4326));\n");
            if (random.Next(2) == 0)
            {
                // The description is ours, made of fixed words: no quote in it.
                sql.Append(CultureInfo.InvariantCulture, $"COMMENT ON TABLE {name} IS '{Description(random)}';\n");
            }
        }
        await using var command = new NpgsqlCommand(sql.ToString(), connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
    }

    private static string TableName(Random random, int number) => $"{Pick(random, Subjects)}_{Pick(random, Places)}_{2010 + random.Next(16)}_{number}";

    private static string MapTitle(Random random) =>
        $"{Pick(random, ["Map of", "Analysis of", "Dashboard:", "Where are the", "Coverage of"])} {Pick(random, Subjects).Replace('_', ' ')} " +
        $"in {Capitalized(Pick(random, Places))} {2010 + random.Next(16)}";

    private static string Description(Random random) =>
        $"{Capitalized(Pick(random, Subjects).Replace('_', ' '))} of {Capitalized(Pick(random, Places))} from the {2010 + random.Next(16)} " +
        $"{Pick(random, Sources)}, with {Pick(random, Subjects).Replace('_', ' ')} and {Pick(random, Columns).Replace('_', ' ')}";

    private static List<CatalogColumn> TableColumns(Random random) =>
        [new("id", "bigint"), .. Columns.OrderBy(_ => random.Next()).Take(random.Next(3, 9)).Select(name => new CatalogColumn(name, "text")),
            new("geom", "geometry(Point,4326)")];

    private static string Capitalized(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

    private static async Task<Guid> AddUserAsync(NpgsqlDataSource metadata, Guid organizationId, string email, string token)
    {
        await using var command = metadata.CreateCommand("""
            WITH member AS (INSERT INTO users (organization_id, email, role) VALUES ($1, $2, 'editor') RETURNING id)
            INSERT INTO api_tokens (organization_id, user_id, name, token_hash, scopes) SELECT $1, id, 'bench', $3, ARRAY['editor'] FROM member
            RETURNING user_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = email });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
