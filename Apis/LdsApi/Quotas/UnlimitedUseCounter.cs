using System.Collections.Concurrent;
using CartoSelfHosted.Platform.Metadata;
using Npgsql;

namespace CartoSelfHosted.LdsApi.Quotas;

/// <summary>
/// Counts the calls of services an organization has no quota of in memory and adds them to <c>lds_usage</c> once a second (and
/// when the service stops): with no quota to check, a write of the metadata database per call — a geocode's cost doubled at
/// 16 calls at once — would buy nothing but a count that is up to date a second sooner. A replica killed outright loses at
/// most its last second of counts; a call near midnight at a month's end may be counted in the next month.
/// </summary>
public sealed class UnlimitedUseCounter(MetadataDatabase metadata, ILogger<UnlimitedUseCounter> logger) : BackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(Guid Organization, string Service), long> _pending = new();
    private readonly Lock _stopping = new();
    private Task? _stopped;

    public void Add(Guid organizationId, string service, long calls) => _pending.AddOrUpdate((organizationId, service), calls, (_, sum) => sum + calls);

    /// <summary>The calls counted here and not yet written.</summary>
    public long Pending(Guid organizationId, string service) => _pending.GetValueOrDefault((organizationId, service));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync writes what is left.
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may be stopped twice at once (a test's: by its factory, and by its own Run returning, which then disposes
        // the services): both calls wait for the one last flush, so the metadata database outlives it.
        lock (_stopping)
        {
            return _stopped ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    /// <summary>Writes the counts, each taken out of memory as it goes; one that fails to be written is put back for the next time.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var key in _pending.Keys)
        {
            if (!_pending.TryRemove(key, out var calls) || calls == 0)
            {
                continue;
            }
            try
            {
                await using var command = metadata.DataSource.CreateCommand("""
                    INSERT INTO lds_usage AS usage (organization_id, service, month, used)
                    VALUES ($1, $2, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $3)
                    ON CONFLICT (organization_id, service, month) DO UPDATE SET used = usage.used + excluded.used
                    """);
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = key.Organization });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Service });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = calls });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
            {
                Add(key.Organization, key.Service, calls);
                if (ex is NpgsqlException)
                {
                    logger.LogWarning(ex, "Writing {Calls} {Service} calls of an organization to lds_usage failed; tried again in a second", calls, key.Service);
                }
                return;
            }
        }
    }
}
