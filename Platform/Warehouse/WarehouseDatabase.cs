using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Warehouse;

/// <summary>
/// The warehouse's administrator data source, as its own type so it is never mistaken for the metadata database's.
/// It provisions and inspects; user SQL never runs on it (see <see cref="OrganizationDataSources"/>).
/// </summary>
public sealed class WarehouseDatabase(NpgsqlDataSource dataSource, string connectionString) : IPostgresDatabase, IAsyncDisposable
{
    /// <summary>The name users give the built-in warehouse connection, as in CARTO.</summary>
    public const string BuiltInConnectionName = "carto_dw";

    public NpgsqlDataSource DataSource { get; } = dataSource;

    // The data source's own connection string has no password; the organizations' logins are derived from it.
    internal NpgsqlConnectionStringBuilder ConnectionString { get; } = new(connectionString);

    internal string AdministratorPassword => ConnectionString.Password
        ?? throw new InvalidOperationException("The warehouse connection string has no password to derive the organizations' logins from.");

    /// <summary>
    /// The administrator's connection settings, password included, for a tool of the platform's own that connects by itself
    /// (osm2pgrouting loading the road network); never for user SQL.
    /// </summary>
    public NpgsqlConnectionStringBuilder AdministratorConnectionString() => new(ConnectionString.ConnectionString);

    /// <summary>The schema, and the role that owns it, of an organization (slugs are validated by the metadata schema).</summary>
    public static string OrganizationSchema(string organizationSlug) => "org_" + organizationSlug;

    /// <summary>
    /// Another pool of the administrator's, with settings of its own (for example session options such as a statement
    /// timeout, or no command timeout), for the platform's own statements.
    /// </summary>
    public NpgsqlDataSource CreateDataSource(string name, Action<NpgsqlConnectionStringBuilder> configure, ILoggerFactory loggerFactory)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString.ConnectionString);
        configure(connectionString);
        return new NpgsqlDataSourceBuilder(connectionString.ConnectionString) { Name = name }
            .UseLoggerFactory(loggerFactory)
            .Build();
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
