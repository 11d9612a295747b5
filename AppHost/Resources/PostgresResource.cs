using System.Diagnostics;
using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// PostgreSQL 15 with PostGIS as a local process: initdb into <c>.data/postgres/data</c> on the first run, reused
/// after; run as the <c>postgres</c> system user when AppHost is root (PostgreSQL refuses root).
/// </summary>
public sealed class PostgresServerResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string SuperUser = "postgres";

    public ParameterResource Password { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public List<PostgresDatabaseResource> Databases { get; } = [];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={SuperUser};Password={Password}");
}

/// <summary>A database of the server; referencing it hands over <c>ConnectionStrings__{name}</c>.</summary>
public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource parent)
    : Resource(name), IResourceWithParent<PostgresServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public PostgresServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

public static class PostgresResourceBuilderExtensions
{
    private const string SystemUser = "postgres";
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>Where PostgreSQL's files go when the data folder is out of the postgres user's reach.</summary>
    public const string FallbackRoot = "/var/lib/carto-self-hosted";

    public static IResourceBuilder<PostgresServerResource> AddPostgres(this IDistributedApplicationBuilder builder, LocalPlatform platform,
        string name, IResourceBuilder<ParameterResource> password)
    {
        var home = platform.IsPublishing ? platform.PathInData(name) : Home(platform, name);
        var workingDirectory = platform.IsPublishing ? platform.FolderInData(name) : home;
        var server = new PostgresServerResource(name, workingDirectory, password.Resource);
        var postgres = Path.Combine(BinDirectory, "postgres");
        // SIGTERM, what DCP stops a process with, is PostgreSQL's "smart" shutdown, which waits for every client to
        // leave; the shell turns it into SIGINT, the "fast" one.
        string[] run = platform.RunsServersAsTheirUsers ? ["setpriv", $"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", postgres] : [postgres];
        var healthCheck = $"{name}-ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck, _ => new PostgresReadyCheck(server), null, null));
        return builder.AddResource(server)
            .WithFixedEndpoint("tcp", platform.PortFor(name))
            .WithArgs(["-c", "trap 'kill -INT $pid' TERM INT; \"$@\" & pid=$!; wait $pid; trap - TERM INT; wait $pid", "postgres",
                .. run, "-D", Path.Combine(home, "data"), "-p", platform.PortFor(name).ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", Path.Combine(home, "run"),
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "logging_collector=off"])
            .WithHealthCheck(healthCheck)
            .OnBeforeResourceStarted(async (resource, _, cancellationToken) =>
                await InitializeAsync(resource, await resource.Password.GetValueAsync(cancellationToken) ?? "", cancellationToken));
    }

    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name)
    {
        var database = new PostgresDatabaseResource(name, name, server.Resource);
        server.Resource.Databases.Add(database);
        return server.ApplicationBuilder.AddResource(database);
    }

    /// <summary>
    /// The server's folder: <c>.data/postgres</c>. When AppHost is root, PostgreSQL runs as the postgres user, which
    /// must be able to walk down to it; a data folder under one others cannot enter (root's home, a mode-700
    /// temporary folder) gets its PostgreSQL files under /var/lib/carto-self-hosted instead, and says so. RabbitMQ,
    /// run as the rabbitmq user, gets its folder the same way.
    /// </summary>
    internal static string Home(LocalPlatform platform, string name, string systemUser = SystemUser)
    {
        var inDataFolder = platform.FolderInData(name);
        if (!LocalPlatform.IsRoot || IsReachableByOthers(inDataFolder))
        {
            return inDataFolder;
        }
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(platform.DataDirectory)))[..12];
        var home = Path.Combine(FallbackRoot, key, name);
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(inDataFolder, "MOVED.txt"),
            $"The {systemUser} user cannot enter {platform.DataDirectory}, so {name}'s files are in {home}.\n");
        return home;
    }

    /// <summary>Whether every folder from the root down to <paramref name="directory"/> may be entered by other users.</summary>
    public static bool IsReachableByOthers(string directory)
    {
        for (var folder = new DirectoryInfo(directory); folder is not null; folder = folder.Parent)
        {
            if ((folder.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>initdb on the first run (a data folder without PG_VERSION is a first run that was interrupted: done again).</summary>
    private static async Task InitializeAsync(PostgresServerResource server, string password, CancellationToken cancellationToken)
    {
        var data = Path.Combine(server.WorkingDirectory, "data");
        var socket = Path.Combine(server.WorkingDirectory, "run");
        Directory.CreateDirectory(socket);
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            await OwnAsync(cancellationToken, socket);
            return;
        }
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }
        Directory.CreateDirectory(data);
        var passwordFile = Path.Combine(server.WorkingDirectory, "initdb-password");
        SecretFile.Write(passwordFile, password);
        try
        {
            await OwnAsync(cancellationToken, data, socket, passwordFile);
            string[] initdb = [Path.Combine(BinDirectory, "initdb"), "-D", data, "-U", PostgresServerResource.SuperUser, "--pwfile", passwordFile,
                "--auth-host=scram-sha-256", "--auth-local=peer", "--encoding=UTF8", "--locale=C.UTF-8"];
            await RunAsync(LocalPlatform.IsRoot ? ["setpriv", $"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", .. initdb] : initdb,
                cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>Gives the folders to the postgres system user when AppHost runs as root.</summary>
    private static Task OwnAsync(CancellationToken cancellationToken, params string[] paths) =>
        LocalPlatform.IsRoot ? RunAsync(["chown", "-R", $"{SystemUser}:{SystemUser}", .. paths], cancellationToken) : Task.CompletedTask;

    private static async Task RunAsync(string[] command, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command[1..])
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(command[0])} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}

/// <summary>
/// Healthy once the server answers and every database declared on it exists: they are made here, as Aspire's own
/// PostgreSQL integration makes them, so that whatever waits for the server finds its databases.
/// </summary>
internal sealed class PostgresReadyCheck(PostgresServerResource server) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
            await using var connection = new NpgsqlConnection(connectionString + ";Database=postgres;Pooling=false;Timeout=3");
            await connection.OpenAsync(cancellationToken);
            foreach (var database in server.Databases)
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
                exists.Parameters.Add(new NpgsqlParameter { Value = database.DatabaseName });
                if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                {
                    // Database names are declared in AppHost's code, never taken from a user; quoted all the same.
                    await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(database.DatabaseName)}", connection);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
