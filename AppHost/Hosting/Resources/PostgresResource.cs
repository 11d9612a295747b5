using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// PostgreSQL 15 with PostGIS, as a plain process: initdb into <c>.data/postgres/data</c> on the first run, reused
/// after. Run as the <c>postgres</c> system user when AppHost is root (PostgreSQL refuses root).
/// </summary>
public sealed class PostgresResource : ExecutableResource, IResourceWithConnectionString
{
    private const string SystemUser = "postgres";
    private const string SuperUser = "postgres";
    private const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    public PostgresResource(string name, ParameterResource password, int port) : base(name)
    {
        Password = password;
        Endpoints.Add(new EndpointSpec("tcp", "tcp", port, TargetPort: 5432));
    }

    public ParameterResource Password { get; }

    public List<PostgresDatabaseResource> Databases { get; } = [];

    public override IEnumerable<Resource> Children => Databases;

    public override string ResourceType => "container.v0";

    public override int StopSignal => ProcessSignals.SIGINT; // "fast" shutdown: SIGTERM would wait for every client to leave.

    public ReferenceExpression ConnectionString => new(
        () => RuntimeConnectionString(),
        $"Host={{{Name}.bindings.tcp.host}};Port={{{Name}.bindings.tcp.port}};Username={SuperUser};Password={{{Password.Name}.value}}");

    private string RuntimeConnectionString(string? database = null) => new NpgsqlConnectionStringBuilder
    {
        Host = EndpointSpec.Host,
        Port = Endpoint("tcp").Port,
        Username = SuperUser,
        Password = Password.Value,
        Database = database,
    }.ConnectionString;

    private string? _home;

    /// <summary>
    /// Where the server keeps its files: <c>.data/postgres</c>. When AppHost is root, PostgreSQL runs as the postgres
    /// user, which must be able to walk down to that folder; a repository under a folder others cannot enter (root's
    /// home, a mode-700 temporary folder) gets its PostgreSQL files under /var/lib/carto-self-hosted instead, one
    /// folder per data folder, and AppHost says so.
    /// </summary>
    public string Home(RunContext context)
    {
        if (_home is not null)
        {
            return _home;
        }
        var inDataFolder = context.ResourceDirectory(Name);
        if (!context.IsRoot || IsReachableByOthers(inDataFolder))
        {
            return _home = inDataFolder;
        }
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(context.DataDirectory)))[..12];
        _home = Path.Combine(FallbackRoot, key, Name);
        Directory.CreateDirectory(_home);
        File.WriteAllText(Path.Combine(inDataFolder, "MOVED.txt"),
            $"The postgres user cannot enter {context.DataDirectory}, so PostgreSQL's files are in {_home}.\n");
        return _home;
    }

    /// <summary>Where PostgreSQL's files go when the data folder is out of the postgres user's reach.</summary>
    public const string FallbackRoot = "/var/lib/carto-self-hosted";

    private string DataDirectory(RunContext context) => Path.Combine(Home(context), "data");

    private string SocketDirectory(RunContext context) => Path.Combine(Home(context), "run");

    private static string BinDirectory(RunContext context) => context.Configuration["Postgres:BinDirectory"] ?? DefaultBinDirectory;

    public override async Task PrepareAsync(RunContext context, CancellationToken cancellationToken)
    {
        var data = DataDirectory(context);
        Directory.CreateDirectory(SocketDirectory(context));
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            await OwnAsync(context, cancellationToken, SocketDirectory(context));
            return;
        }

        // A data directory without PG_VERSION is a first run that was interrupted: start it over.
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }
        Directory.CreateDirectory(data);
        var passwordFile = Path.Combine(Home(context), "initdb-password");
        ParameterResource.WriteSecretFile(passwordFile, Password.Value);
        try
        {
            await OwnAsync(context, cancellationToken, data, SocketDirectory(context), passwordFile);
            var spec = new ProcessSpec(Path.Combine(BinDirectory(context), "initdb"),
                ["-D", data, "-U", SuperUser, "--pwfile", passwordFile, "--auth-host=scram-sha-256", "--auth-local=peer",
                 "--encoding=UTF8", "--locale=C.UTF-8"],
                context.RepositoryRoot, new Dictionary<string, string>(), SystemUser);
            await RunToCompletionAsync(spec, context, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    public override ProcessSpec CreateProcessSpec(RunContext context) => new(
        Path.Combine(BinDirectory(context), "postgres"),
        ["-D", DataDirectory(context), "-p", Endpoint("tcp").Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
         "-k", SocketDirectory(context), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300",
         "-c", "logging_collector=off"],
        context.RepositoryRoot,
        new Dictionary<string, string>(),
        SystemUser);

    public override async Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(RuntimeConnectionString("postgres") + ";Pooling=false;Timeout=3");
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthState.Healthy;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthState.Unhealthy;
        }
    }

    /// <summary>Creates the declared databases that do not exist yet, as Aspire's AddDatabase does.</summary>
    public override async Task OnReadyAsync(RunContext context, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(RuntimeConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        foreach (var database in Databases)
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
    }

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("connectionString", ConnectionString.Manifest);
        writer.WriteString("image", "docker.io/postgis/postgis:15-3.4");
        writer.WriteStartObject("env");
        writer.WriteString("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256");
        writer.WriteString("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256 --auth-local=scram-sha-256");
        writer.WriteString("POSTGRES_USER", SuperUser);
        writer.WriteString("POSTGRES_PASSWORD", Password.Reference.Manifest);
        writer.WriteEndObject();
        ManifestContext.WriteBindings(writer, Endpoints, transport: "tcp");
    }

    /// <summary>Gives the folders to the postgres system user when AppHost runs as root.</summary>
    private static async Task OwnAsync(RunContext context, CancellationToken cancellationToken, params string[] paths)
    {
        if (!context.IsRoot)
        {
            return;
        }
        await RunToCompletionAsync(new ProcessSpec("chown", ["-R", $"{SystemUser}:{SystemUser}", .. paths], context.RepositoryRoot,
            new Dictionary<string, string>()), context, cancellationToken);
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

    private static async Task RunToCompletionAsync(ProcessSpec spec, RunContext context, CancellationToken cancellationToken)
    {
        using var process = Process.Start(ProcessLauncher.CreateStartInfo(spec, context.IsRoot, tiedToAppHost: false))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(spec.FileName)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}

/// <summary>A database of a PostgreSQL server; referencing it hands over <c>ConnectionStrings__{name}</c>.</summary>
public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresResource server)
    : Resource(name), IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public PostgresResource Server { get; } = server;

    public override string ResourceType => "value.v0";

    public ReferenceExpression ConnectionString => new(
        () => Server.ConnectionString.Runtime() + $";Database={DatabaseName}",
        $"{{{Server.Name}.connectionString}};Database={DatabaseName}");

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("connectionString", ConnectionString.Manifest);
    }
}

public static class PostgresResourceBuilderExtensions
{
    public static PostgresResource AddPostgres(this DistributedApplicationBuilder builder, string name, ParameterResource password) =>
        builder.Add(new PostgresResource(name, password, builder.PortFor(name)));

    public static PostgresDatabaseResource AddDatabase(this PostgresResource server, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, databaseName ?? name, server);
        server.Databases.Add(database);
        return database;
    }
}
