using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Npgsql;

namespace CartoSelfHosted.TestSupport;

/// <summary>
/// A database of the second PostgreSQL cluster scripts/test-servers.sh starts (<c>TEST_EXTERNAL_POSTGRES</c>), as a user
/// runs one: PostGIS, a login <see cref="User"/> that may read <c>gis.parks</c> and <c>public.rivers</c> but not
/// <c>gis.payroll</c>, and may make tables in <c>gis</c>.
/// </summary>
public sealed record ExternalDatabase(string Host, int Port, string Database, string User, string Password)
{
    /// <summary>The second cluster's administrator, from the environment scripts/test-servers.sh writes.</summary>
    public static string AdminConnectionString => Environment.GetEnvironmentVariable("TEST_EXTERNAL_POSTGRES") is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException("TEST_EXTERNAL_POSTGRES is not set: run the tests with ./test.sh, which starts the real servers.");

    public static async Task<ExternalDatabase> CreateAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (database, user, password) = ("gis_" + suffix, "analyst_" + suffix, "pw-" + Guid.NewGuid().ToString("N"));
        // Only the password's SCRAM verifier reaches the server, so no statement (nor its trace) holds the password itself.
        var admin = new NpgsqlConnectionStringBuilder(AdminConnectionString);
        await ExecuteAsync(admin.ConnectionString + ";Database=postgres", $"""
            CREATE DATABASE {SqlIdentifier.Quote(database)};
            CREATE ROLE {SqlIdentifier.Quote(user)} LOGIN PASSWORD '{OrganizationRoles.ScramVerifier(password)}';
            """);
        await ExecuteAsync(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database }.ConnectionString, $"""
            CREATE EXTENSION postgis;
            CREATE SCHEMA gis;
            GRANT USAGE, CREATE ON SCHEMA gis TO {SqlIdentifier.Quote(user)};
            -- Parks the size of provinces: a tile at zoom 0 drops what is smaller than its grid's cells.
            CREATE TABLE gis.parks (name text, area_ha real, geom geometry(Polygon, 4326));
            INSERT INTO gis.parks VALUES
                ('Monsanto', 1000, 'SRID=4326;POLYGON((-10 38, -8 38, -8 40, -10 40, -10 38))'),
                ('Retiro', 125, 'SRID=4326;POLYGON((-4 40, -3 40, -3 41, -4 41, -4 40))');
            GRANT SELECT ON gis.parks TO {SqlIdentifier.Quote(user)};
            CREATE TABLE gis.payroll (name text, salary int, geom geometry(Point, 4326));
            INSERT INTO gis.payroll VALUES ('secret', 100000, 'SRID=4326;POINT(0 0)');
            CREATE TABLE public.rivers (name text, geom geometry(LineString, 4326));
            INSERT INTO public.rivers VALUES ('Tagus', 'SRID=4326;LINESTRING(-9.3 38.7, -3.7 40.0)');
            GRANT SELECT ON public.rivers TO {SqlIdentifier.Quote(user)};
            """);
        return new ExternalDatabase(admin.Host!, admin.Port, database, user, password);
    }

    /// <summary>The create body of a connection to this database as <see cref="User"/>, with <paramref name="password"/> (its own by default).</summary>
    public object ConnectionBody(string name, string? password = null, string privacy = "private", int? port = null, string schema = "public") => new
    {
        name,
        provider_id = "postgres",
        privacy,
        config = new { host = Host, port = port ?? Port, database = Database, user = User, password = password ?? Password, sslmode = "disable", schema },
    };

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
