using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Warehouse;

/// <summary>
/// Whether open data a service loads into the warehouse at its first start (lds-api's gazetteer and road network) can be
/// used yet: it is being loaded, or it failed to load.
/// </summary>
public abstract class WarehouseDataState(string whileLoading)
{
    private volatile string? _unavailableBecause = whileLoading;

    public bool IsReady => _unavailableBecause is null;

    /// <summary>Why the data cannot be used; null once it can.</summary>
    public string? UnavailableBecause => _unavailableBecause;

    public void Ready() => _unavailableBecause = null;

    public void Failed(string reason) => _unavailableBecause = reason;
}

public static class WarehouseDataLoading
{
    /// <summary>
    /// Runs <paramref name="load"/> on one connection unless <paramref name="versionTable"/> (a constant, schema-qualified)
    /// already holds a version <paramref name="isCurrent"/> accepts; true when it ran. Replicas starting at once serialize on
    /// the advisory lock <paramref name="lockKey"/>, so the second finds what the first loaded.
    /// </summary>
    public static async Task<bool> LoadOnceAsync(this WarehouseDatabase warehouse, long lockKey, string versionTable, Func<string?, bool> isCurrent,
        Func<NpgsqlConnection, Task> load, CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("SELECT pg_advisory_lock($1)", cancellationToken, lockKey);
        try
        {
            if (isCurrent(await LoadedVersionAsync(connection, versionTable, cancellationToken)))
            {
                return false;
            }
            await load(connection);
            return true;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock($1)", CancellationToken.None, lockKey);
            }
        }
    }

    /// <summary>The version <paramref name="versionTable"/> says the data was made from; null before the first load.</summary>
    public static async Task<string?> LoadedVersionAsync(this WarehouseDatabase warehouse, string versionTable, CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        return await LoadedVersionAsync(connection, versionTable, cancellationToken);
    }

    private static async Task<string?> LoadedVersionAsync(NpgsqlConnection connection, string versionTable, CancellationToken cancellationToken) =>
        await connection.ReadSingleAsync("SELECT to_regclass($1) IS NOT NULL", reader => reader.GetBoolean(0), cancellationToken, versionTable)
            ? await connection.ReadSingleOrDefaultAsync($"SELECT version FROM {versionTable}", reader => reader.GetString(0), cancellationToken)
            : null;
}

/// <summary>
/// Loads data into the warehouse in the background at start (the service answers meanwhile, and its
/// <see cref="WarehouseDataState"/> says the data is not ready), or, when not <paramref name="loadAtStart"/>, takes it as it is.
/// A lost connection is tried again every 10 s; anything else (missing files or tools, PostgreSQL refusing the load) would
/// fail again, so the data is left as it was: an older version, when there is one, serves on (the load's transaction rolled
/// back), and otherwise the state says why there is none.
/// </summary>
public sealed class WarehouseDataLoadingService(string what, bool loadAtStart, WarehouseDataState state, Func<CancellationToken, Task> load,
    Func<CancellationToken, Task<string?>> loadedVersion, ILogger<WarehouseDataLoadingService> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What trying again mends: a lost connection, or another process creating the same extension at the same moment —
    /// every service provisions the warehouse at start, and PostgreSQL's CREATE EXTENSION IF NOT EXISTS is not safe
    /// against a concurrent one (the loser gets a unique violation; tried again, it finds the extension there).
    /// </summary>
    private static bool IsTransient(NpgsqlException exception) => exception is not PostgresException
        || exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "pg_extension_name_index" };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!loadAtStart)
        {
            state.Ready();
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await load(stoppingToken);
                state.Ready();
                return;
            }
            catch (NpgsqlException ex) when (IsTransient(ex) && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Loading the {What} failed; trying again in {Delay}", what, RetryDelay);
                await Task.Delay(RetryDelay, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Loading the {What} failed", what);
                if (await loadedVersion(stoppingToken) is null)
                {
                    state.Failed($"The {what} failed to load: {(ex is PostgresException postgres ? postgres.MessageText : ex.Message)}");
                }
                else
                {
                    state.Ready();
                }
                return;
            }
        }
    }
}

public static class WarehouseDataLoadingExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TState"/> and a <see cref="WarehouseDataLoadingService"/> that loads the data at start
    /// with <paramref name="load"/>, when <paramref name="loadAtStart"/> says so.
    /// </summary>
    public static IServiceCollection AddWarehouseDataLoading<TState>(this IServiceCollection services, string what,
        Func<IServiceProvider, bool> loadAtStart, Func<IServiceProvider, CancellationToken, Task> load,
        Func<IServiceProvider, CancellationToken, Task<string?>> loadedVersion) where TState : WarehouseDataState
    {
        services.AddSingleton<TState>();
        // Added, not AddHostedService: that adds one service per implementation type, and every data set's loading is a
        // WarehouseDataLoadingService.
        return services.AddSingleton<IHostedService>(provider => new WarehouseDataLoadingService(what, loadAtStart(provider),
            provider.GetRequiredService<TState>(), cancellationToken => load(provider, cancellationToken),
            cancellationToken => loadedVersion(provider, cancellationToken), provider.GetRequiredService<ILogger<WarehouseDataLoadingService>>()));
    }
}
