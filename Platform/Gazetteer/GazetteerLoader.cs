using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.Platform.Gazetteer;

/// <summary>
/// Makes the warehouse's gazetteer (schema <c>lds</c>) from the npm packages' files, once: when the schema holds the same
/// packages made by the same SQL it does nothing, otherwise it makes it again whole, in one transaction (readers see the
/// old gazetteer or the new, never half of one). Replicas starting at once serialize on an advisory lock.
/// </summary>
public sealed class GazetteerLoader(WarehouseDatabase warehouse, ILogger<GazetteerLoader> logger)
{
    private const long LoadingLockKey = 0x6361_7274_6f6c_6473;

    private static readonly string StagingSql = PostgresCommands.ReadEmbeddedSql(typeof(GazetteerLoader).Assembly, "Sql/1_staging.sql");
    private static readonly string GazetteerSql = PostgresCommands.ReadEmbeddedSql(typeof(GazetteerLoader).Assembly, "Sql/2_gazetteer.sql");

    /// <summary>What is loaded: the packages' versions and a hash of the SQL that made the schema from them.</summary>
    public static string Version { get; } = GazetteerSources.Version + "; sql " +
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(StagingSql + GazetteerSql)))[..12];

    /// <summary>Loads the gazetteer unless it is loaded; true when this call loaded it.</summary>
    public Task<bool> LoadAsync(GazetteerSources sources, CancellationToken cancellationToken) =>
        warehouse.LoadOnceAsync(LoadingLockKey, "lds.gazetteer", loaded => loaded == Version, async connection =>
        {
            if (sources.Missing() is { Count: > 0 } missing)
            {
                throw new FileNotFoundException($"The gazetteer's files are missing from {sources.Directory} ({string.Join(", ", missing)}): " +
                    "install them with scripts/install-dependencies.sh, then build again.");
            }
            var stopwatch = Stopwatch.StartNew();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteUntimedAsync(StagingSql, cancellationToken);
            await CopyStagingAsync(connection, sources, cancellationToken);
            await connection.ExecuteUntimedAsync(GazetteerSql, cancellationToken);
            await connection.ExecuteAsync("INSERT INTO lds.gazetteer (version, attribution) VALUES ($1, $2)", cancellationToken,
                Version, GazetteerSources.Attribution);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Loaded the gazetteer ({Version}) in {Seconds:F1} s", Version, stopwatch.Elapsed.TotalSeconds);
        }, cancellationToken);

    /// <summary>The version the warehouse's gazetteer was made from; null before the first load.</summary>
    public Task<string?> LoadedVersionAsync(CancellationToken cancellationToken) => warehouse.LoadedVersionAsync("lds.gazetteer", cancellationToken);

    private static async Task CopyStagingAsync(NpgsqlConnection connection, GazetteerSources sources, CancellationToken cancellationToken)
    {
        var countries = sources.ReadCountries();
        await CopyAsync(connection, "staging_countries (code, code3, name, official_name)", countries,
            (row, country) => row.WriteColumns(country.Code, country.Code3, country.Name, country.OfficialName), cancellationToken);
        await CopyAsync(connection, "staging_country_names (country, name)",
            countries.SelectMany(country => country.OtherNames.Select(name => (country.Code, name))),
            (row, name) => row.WriteColumns(name.Code, name.name), cancellationToken);
        await CopyAsync(connection, "staging_admin_names (code, name)", sources.ReadAdminNames(1).Concat(sources.ReadAdminNames(2)),
            (row, admin) => row.WriteColumns(admin.Key, admin.Value), cancellationToken);

        var names = sources.ReadPlaceNames();
        var places = sources.ReadPlaces().ToList();
        await CopyAsync(connection, "staging_places (id, name, country, admin1_code, admin2_code, feature_code, population, longitude, latitude)",
            places, (row, place) =>
            {
                row.WriteColumns(place.Id, place.Name, place.Country, place.Admin1Code, names.GetValueOrDefault(place.Id)?.Admin2Code ?? "",
                    place.FeatureCode);
                row.Write(place.Population, NpgsqlDbType.Integer);
                row.Write(place.Longitude, NpgsqlDbType.Double);
                row.Write(place.Latitude, NpgsqlDbType.Double);
            }, cancellationToken);
        var placeNames = places.SelectMany(place =>
            new[] { (place.Id, Name: place.Name, Primary: true) }.Concat(names.GetValueOrDefault(place.Id) is { } more
                ? more.AlternateNames.Prepend(more.AsciiName).Select(name => (place.Id, Name: name, Primary: false))
                : []));
        await CopyAsync(connection, "staging_place_names (place_id, name, is_primary)", placeNames, (row, name) =>
        {
            row.Write(name.Id, NpgsqlDbType.Bigint);
            row.Write(name.Name, NpgsqlDbType.Text);
            row.Write(name.Primary, NpgsqlDbType.Boolean);
        }, cancellationToken);

        await CopyAsync(connection, "staging_regions (country, code, name, group_name, geojson)", sources.ReadRegions(),
            (row, region) => row.WriteColumns(region.Country, region.Code, region.Name, region.GroupName, region.GeoJson), cancellationToken);
    }

    private static async Task CopyAsync<T>(NpgsqlConnection connection, string table, IEnumerable<T> rows,
        Action<NpgsqlBinaryImporter, T> write, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            write(importer, row);
        }
        await importer.CompleteAsync(cancellationToken);
    }
}

internal static class BinaryImporterRows
{
    /// <summary>Writes a row's text columns in order; a null is written as SQL NULL.</summary>
    public static void WriteColumns(this NpgsqlBinaryImporter importer, params string?[] values)
    {
        foreach (var value in values)
        {
            if (value is null)
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(value, NpgsqlDbType.Text);
            }
        }
    }

    public static void WriteColumns(this NpgsqlBinaryImporter importer, long id, params string?[] values)
    {
        importer.Write(id, NpgsqlDbType.Bigint);
        importer.WriteColumns(values);
    }
}
