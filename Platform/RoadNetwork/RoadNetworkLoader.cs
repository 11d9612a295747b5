using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.Platform.RoadNetwork;

/// <summary>
/// Makes the warehouse's road network (schema <c>routing</c>) from the npm package's ways, once: when the schema holds the
/// same network made by the same SQL it does nothing. Otherwise osm2pgrouting loads the ways twice, for cars and for people
/// on foot, into two load schemas, and one transaction makes the network from them (readers see the old network or the new,
/// never half of one). Replicas starting at once serialize on an advisory lock.
/// </summary>
public sealed class RoadNetworkLoader(WarehouseDatabase warehouse, IOptions<RoadNetworkOptions> options, ILogger<RoadNetworkLoader> logger)
{
    private const long LoadingLockKey = 0x6361_7274_6f72_6f75;

    private static readonly string NetworkSql = PostgresCommands.ReadEmbeddedSql(typeof(RoadNetworkLoader).Assembly, "Sql/network.sql");

    private static readonly string SqlVersion = "; sql " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NetworkSql)))[..12];

    /// <summary>What is loaded: the package's version and a hash of the SQL that made the schema from it.</summary>
    public static string Version { get; } = RoadNetworkSources.Version + SqlVersion;

    /// <summary>
    /// What an administrator's file loaded: the start keeps it (a newer package does not replace it), unless the SQL that makes
    /// the schema changed, when the package's network is loaded again and the administrator loads the file again.
    /// </summary>
    public static string AdministratorsFileVersion { get; } = "an administrator's OpenStreetMap file" + SqlVersion;

    /// <summary>Loads the package's network unless it, or an administrator's, is loaded; true when this call loaded it.</summary>
    public Task<bool> LoadAsync(RoadNetworkSources sources, CancellationToken cancellationToken) =>
        warehouse.LoadOnceAsync(LoadingLockKey, "routing.network", loaded => loaded == Version || loaded == AdministratorsFileVersion,
            async connection =>
            {
                if (sources.IsMissing)
                {
                    throw new FileNotFoundException($"The road network is missing ({sources.NetworkPath}): install it with " +
                        "scripts/install-dependencies.sh, then build again.");
                }
                await BuildAsync(connection, folder =>
                {
                    var osmFile = Path.Combine(folder, "network.osm");
                    sources.WriteOsmXml(osmFile);
                    return osmFile;
                }, Version, RoadNetworkSources.Version, cancellationToken);
            }, cancellationToken);

    /// <summary>
    /// Replaces the network with one made from an OpenStreetMap file (<c>.osm</c> XML) an administrator brought, named
    /// <paramref name="source"/>. The old network serves until the new one is whole; a file osm2pgrouting cannot read, or
    /// one without roads for cars and for people on foot, leaves it as it was (<see cref="RoadNetworkFileException"/>), as
    /// does a load already under way (<see cref="RoadNetworkBusyException"/>).
    /// </summary>
    public async Task<RoadNetworkDescription> LoadOsmFileAsync(string osmFile, string source, CancellationToken cancellationToken)
    {
        await using (var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken))
        {
            if (!await connection.ReadSingleAsync("SELECT pg_try_advisory_lock($1)", reader => reader.GetBoolean(0), cancellationToken, LoadingLockKey))
            {
                throw new RoadNetworkBusyException();
            }
            try
            {
                await BuildAsync(connection, _ => osmFile, AdministratorsFileVersion, source, cancellationToken);
            }
            finally
            {
                if (connection.State == System.Data.ConnectionState.Open)
                {
                    await connection.ExecuteAsync("SELECT pg_advisory_unlock($1)", CancellationToken.None, LoadingLockKey);
                }
            }
        }
        return await DescribeAsync(cancellationToken)
            ?? throw new InvalidOperationException("The road network was loaded, yet routing.network has no row.");
    }

    /// <summary>The network loaded now: where it comes from, when, and its size; null before the first load.</summary>
    public async Task<RoadNetworkDescription?> DescribeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        if (!await connection.ReadSingleAsync("SELECT to_regclass('routing.network') IS NOT NULL", reader => reader.GetBoolean(0), cancellationToken))
        {
            return null;
        }
        return await connection.ReadSingleOrDefaultAsync("""
            SELECT source, attribution, car_edges, foot_edges, loaded_at,
                (SELECT ARRAY[ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box)] FROM (SELECT ST_Extent(geom) AS box FROM routing.foot_vertices) extent)
            FROM routing.network
            """, reader => new RoadNetworkDescription(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<double[]>(5)), cancellationToken);
    }

    /// <summary>
    /// osm2pgrouting loads the file <paramref name="writeOsmFile"/> gives (in a temporary folder) for cars and for people on foot,
    /// and one transaction makes the network from what it loaded.
    /// </summary>
    private async Task BuildAsync(NpgsqlConnection connection, Func<string, string> writeOsmFile, string version, string source,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        await connection.ExecuteUntimedAsync("""
            CREATE EXTENSION IF NOT EXISTS postgis;
            CREATE EXTENSION IF NOT EXISTS pgrouting SCHEMA public;
            DROP SCHEMA IF EXISTS routing_load_car CASCADE;
            DROP SCHEMA IF EXISTS routing_load_foot CASCADE;
            CREATE SCHEMA routing_load_car;
            CREATE SCHEMA routing_load_foot;
            """, cancellationToken);
        var folder = Directory.CreateTempSubdirectory("road-network-");
        try
        {
            var osmFile = writeOsmFile(folder.FullName);
            await Osm2PgRoutingAsync(osmFile, CarConfiguration(), "routing_load_car", folder.FullName, cancellationToken);
            await Osm2PgRoutingAsync(osmFile, PedestrianConfiguration(folder.FullName), "routing_load_foot", folder.FullName, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // An OpenStreetMap file without a single way of a kind the configurations keep gives osm2pgrouting nothing to load.
        foreach (var mode in new[] { "car", "foot" })
        {
            if (await connection.ReadSingleAsync($"SELECT to_regclass('routing_load_{mode}.ways') IS NULL OR NOT EXISTS (SELECT FROM routing_load_{mode}.ways)",
                reader => reader.GetBoolean(0), cancellationToken))
            {
                throw new RoadNetworkFileException($"The file has no roads {(mode == "car" ? "for cars" : "for people on foot")}.");
            }
        }
        await connection.ExecuteUntimedAsync(NetworkSql, cancellationToken);
        await connection.ExecuteAsync("""
            INSERT INTO routing.network (version, source, attribution, car_edges, foot_edges)
            VALUES ($1, $2, $3, (SELECT count(*) FROM routing.car_edges), (SELECT count(*) FROM routing.foot_edges))
            """, cancellationToken, version, source, RoadNetworkSources.Attribution);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Loaded the road network from {Source} in {Seconds:F1} s", source, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>The version the warehouse's network was made from; null before the first load.</summary>
    public Task<string?> LoadedVersionAsync(CancellationToken cancellationToken) => warehouse.LoadedVersionAsync("routing.network", cancellationToken);

    private string CarConfiguration() => Path.Combine(options.Value.Osm2PgRoutingConfigurations, "mapconfig_for_cars.xml");

    /// <summary>
    /// Debian's pedestrian configuration has text after its root element (comments about access tags), which osm2pgrouting's
    /// XML parser refuses: a copy cut after <c>&lt;/configuration&gt;</c>.
    /// </summary>
    private string PedestrianConfiguration(string folder)
    {
        const string End = "</configuration>";
        var text = File.ReadAllText(Path.Combine(options.Value.Osm2PgRoutingConfigurations, "mapconfig_for_pedestrian.xml"));
        var path = Path.Combine(folder, "mapconfig_for_pedestrian.xml");
        File.WriteAllText(path, text[..(text.IndexOf(End, StringComparison.Ordinal) + End.Length)]);
        return path;
    }

    /// <summary>
    /// Runs osm2pgrouting into a schema. It always puts a <c>password=</c> in its connection string, so libpq ignores
    /// PGPASSWORD; the password goes in a password file only this process can read, never on a command line others can see.
    /// </summary>
    private async Task Osm2PgRoutingAsync(string osmFile, string configuration, string schema, string folder, CancellationToken cancellationToken)
    {
        var connection = warehouse.AdministratorConnectionString();
        var passwordFile = Path.Combine(folder, "pgpass");
        // libpq ignores a password file others may read; the temporary folder is the service's alone too.
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var writer = new StreamWriter(passwordFile, fileOptions))
        {
            await writer.WriteAsync($"*:*:*:*:{PasswordFileEntry(connection.Password ?? "")}\n");
        }
        var start = new ProcessStartInfo(options.Value.Osm2PgRouting)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "--file", osmFile, "--conf", configuration, "--schema", schema, "--clean",
                "--dbname", connection.Database ?? "", "--username", connection.Username ?? "",
                "--host", connection.Host ?? "localhost", "--port", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            Environment = { ["PGPASSFILE"] = passwordFile },
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{options.Value.Osm2PgRouting} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The service is stopping: osm2pgrouting would otherwise load on, into a schema the next start drops.
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            // Its output names the database's host, port and user: the log keeps it, the exception (which an API answers) only
            // what osm2pgrouting said went wrong.
            logger.LogWarning("osm2pgrouting failed ({ExitCode}) loading {Schema}: {Errors} {Output}", process.ExitCode, schema, await errors,
                Tail(await output));
            throw new RoadNetworkFileException($"osm2pgrouting could not read the file ({process.ExitCode}): {Tail((await errors).Trim())}");
        }
    }

    private static string PasswordFileEntry(string password) => password.Replace(@"\", @"\\").Replace(":", @"\:");

    private static string Tail(string text) => text.Length > 2000 ? text[^2000..] : text;
}
