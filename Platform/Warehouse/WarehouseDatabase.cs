using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.Platform.Warehouse;

/// <summary>The warehouse's data source, as its own type so it is never mistaken for the metadata database's.</summary>
public sealed class WarehouseDatabase(NpgsqlDataSource dataSource) : IPostgresDatabase, IAsyncDisposable
{
    /// <summary>The name users give the built-in warehouse connection, as in CARTO.</summary>
    public const string BuiltInConnectionName = "carto_dw";

    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>The schema, and the role that owns it, of an organization (slugs are validated by the metadata schema).</summary>
    public static string OrganizationSchema(string organizationSlug) => "org_" + organizationSlug;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
