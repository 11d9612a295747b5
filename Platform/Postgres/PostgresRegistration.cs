using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Postgres;

public static class PostgresRegistration
{
    /// <summary>
    /// Registers <typeparamref name="TDatabase"/>, a typed holder of the data source built from
    /// <c>ConnectionStrings__{name}</c>, and a health check of that name. Returns false when it was registered already.
    /// <paramref name="configure"/> adds what the database's types need (PostGIS's, for the warehouse).
    /// </summary>
    public static bool TryAddPostgresDatabase<TDatabase>(this IHostApplicationBuilder builder, string name,
        Func<NpgsqlDataSource, TDatabase> create, Action<NpgsqlDataSourceBuilder>? configure = null)
        where TDatabase : class, IPostgresDatabase
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(TDatabase)))
        {
            return false;
        }
        var connectionString = builder.Configuration.GetConnectionString(name)
            ?? throw new InvalidOperationException($"ConnectionStrings__{name} is not configured.");

        builder.Services.AddSingleton(services =>
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString) { Name = name }
                .UseLoggerFactory(services.GetRequiredService<ILoggerFactory>());
            configure?.Invoke(dataSourceBuilder);
            return create(dataSourceBuilder.Build());
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            services => new DbDataSourceHealthCheck(services.GetRequiredService<TDatabase>().DataSource),
            failureStatus: null,
            tags: null));
        return true;
    }
}

/// <summary>A database of the platform, as its own type so one is never mistaken for another.</summary>
public interface IPostgresDatabase
{
    NpgsqlDataSource DataSource { get; }
}
