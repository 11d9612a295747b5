using CartoSelfHosted.Platform.Metadata;
using Npgsql;

namespace CartoSelfHosted.LdsApi.Quotas;

/// <summary>
/// The quotas an installation admin set for single organizations through the API (<c>lds_quotas</c>), which come before the
/// configuration's. Every replica holds them all in memory — a row per organization and service that has one — and reads them
/// again once a second: a call finds its quota without a query of its own, and a change made on any replica holds on every
/// replica within a second, at once on the one that made it.
/// </summary>
public sealed class QuotasSetByAdmins(MetadataDatabase metadata, ILogger<QuotasSetByAdmins> logger) : BackgroundService
{
    private static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(1);

    /// <summary>The quotas as one read found them; a later read replaces them only if it began later (a change's own read may end first).</summary>
    private sealed record Snapshot(long ReadNumber, IReadOnlyDictionary<(Guid Organization, string Service), long?> Quotas);

    private Snapshot? _current;
    private long _reads;
    private bool _failing;

    /// <summary>
    /// The quota set for the organization's service: found with <paramref name="quota"/> null when it was made unlimited; not
    /// found when the configuration decides.
    /// </summary>
    public async ValueTask<(bool Found, long? Quota)> FindAsync(Guid organizationId, string service, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current) ?? await ReadAsync(cancellationToken);
        return current.Quotas.TryGetValue((organizationId, service), out var quota) ? (true, quota) : (false, null);
    }

    /// <summary>Sets the organization's quota of the service (null: unlimited), in place of the configuration's.</summary>
    public async Task SetAsync(Guid organizationId, string service, long? monthlyQuota, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("""
            INSERT INTO lds_quotas (organization_id, service, monthly_quota) VALUES ($1, $2, $3)
            ON CONFLICT (organization_id, service) DO UPDATE SET monthly_quota = excluded.monthly_quota, changed_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = organizationId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = service });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = monthlyQuota });
        await command.ExecuteNonQueryAsync(cancellationToken);
        await ReadAsync(cancellationToken);
    }

    /// <summary>Gives the organization's quota of the service back to the configuration.</summary>
    public async Task RemoveAsync(Guid organizationId, string service, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("DELETE FROM lds_quotas WHERE organization_id = $1 AND service = $2");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = organizationId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = service });
        await command.ExecuteNonQueryAsync(cancellationToken);
        await ReadAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ReloadInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ReadAsync(stoppingToken);
                    if (_failing)
                    {
                        _failing = false;
                        logger.LogInformation("The organizations' quotas are read again");
                    }
                }
                catch (NpgsqlException exception)
                {
                    // The quotas read last hold meanwhile; told once an outage, not once a second.
                    if (!_failing)
                    {
                        _failing = true;
                        logger.LogWarning(exception, "Reading the organizations' quotas failed; the last ones read hold until it works again");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<Snapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var readNumber = Interlocked.Increment(ref _reads);
        var quotas = new Dictionary<(Guid, string), long?>();
        await using (var command = metadata.DataSource.CreateCommand("SELECT organization_id, service, monthly_quota FROM lds_quotas"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                quotas[(reader.GetGuid(0), reader.GetString(1))] = reader.IsDBNull(2) ? null : reader.GetInt64(2);
            }
        }
        var read = new Snapshot(readNumber, quotas);
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (current is not null && current.ReadNumber > readNumber)
            {
                return current;
            }
            if (Interlocked.CompareExchange(ref _current, read, current) == current)
            {
                return read;
            }
        }
    }
}
