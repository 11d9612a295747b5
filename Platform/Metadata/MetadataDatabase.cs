using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.Platform.Metadata;

/// <summary>The metadata database's data source, as its own type so it is never mistaken for the warehouse's.</summary>
public sealed class MetadataDatabase(NpgsqlDataSource dataSource) : IPostgresDatabase, IAsyncDisposable
{
    /// <summary>The organization every fresh platform starts with; created by the first migration.</summary>
    public static readonly Guid DefaultOrganizationId = new("00000000-0000-0000-0000-000000000001");

    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
