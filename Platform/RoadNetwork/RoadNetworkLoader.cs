using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    /// <summary>What is loaded: the package's version and a hash of the SQL that made the schema from it.</summary>
    public static string Version { get; } = RoadNetworkSources.Version + "; sql " +
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NetworkSql)))[..12];

    /// <summary>Loads the network unless it is loaded; true when this call loaded it.</summary>
    public Task<bool> LoadAsync(RoadNetworkSources sources, CancellationToken cancellationToken) =>
        warehouse.LoadOnceAsync(LoadingLockKey, "routing.network", Version, async connection =>
        {
            if (sources.IsMissing)
            {
                throw new FileNotFoundException($"The road network is missing ({sources.NetworkPath}): install it with " +
                    "scripts/install-dependencies.sh, then build again.");
            }
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
                var osmFile = Path.Combine(folder.FullName, "network.osm");
                sources.WriteOsmXml(osmFile);
                await Osm2PgRoutingAsync(osmFile, CarConfiguration(), "routing_load_car", folder.FullName, cancellationToken);
                await Osm2PgRoutingAsync(osmFile, PedestrianConfiguration(folder.FullName), "routing_load_foot", folder.FullName, cancellationToken);
            }
            finally
            {
                folder.Delete(recursive: true);
            }
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteUntimedAsync(NetworkSql, cancellationToken);
            await connection.ExecuteAsync("""
                INSERT INTO routing.network (version, attribution, car_edges, foot_edges)
                VALUES ($1, $2, (SELECT count(*) FROM routing.car_edges), (SELECT count(*) FROM routing.foot_edges))
                """, cancellationToken, Version, RoadNetworkSources.Attribution);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Loaded the road network ({Version}) in {Seconds:F1} s", Version, stopwatch.Elapsed.TotalSeconds);
        }, cancellationToken);

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
            throw new InvalidOperationException($"osm2pgrouting failed ({process.ExitCode}) loading {schema}: {await errors} {Tail(await output)}");
        }
    }

    private static string PasswordFileEntry(string password) => password.Replace(@"\", @"\\").Replace(":", @"\:");

    private static string Tail(string text) => text.Length > 2000 ? text[^2000..] : text;
}
