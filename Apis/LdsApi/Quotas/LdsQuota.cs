using CartoSelfHosted.Platform.Metadata;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.LdsApi.Quotas;

/// <summary>What a charge of an organization's quota came to: granted or not, and the month's use after it.</summary>
public sealed record QuotaCharge(Guid OrganizationId, string Service, long Calls, bool Granted, long Used, long Quota, DateOnly Month);

/// <summary>An organization's use of a service this month against its quota.</summary>
public sealed record ServiceUsage(string Service, long? Quota, long Used, DateOnly Month);

/// <summary>
/// Counts organizations' calls of lds-api's services per calendar month (UTC) in the metadata database's <c>lds_usage</c>, against
/// the quotas of <see cref="LdsQuotaOptions"/>. A charge is one statement that adds the calls only if they fit, under the row's
/// lock: concurrent calls, on any replica, are counted exactly and never pass the quota together. The calls of a service the
/// organization has no quota of are counted by <see cref="UnlimitedUseCounter"/> instead, once they are answered.
/// </summary>
public sealed class LdsQuota(MetadataDatabase metadata, IOptionsMonitor<LdsQuotaOptions> options, UnlimitedUseCounter unlimited)
{
    private const string ThisMonth = "date_trunc('month', now() AT TIME ZONE 'UTC')::date";

    /// <summary>The organization's monthly quota of the service; null when it has none.</summary>
    public long? QuotaOf(string organizationSlug, string service) => options.CurrentValue.QuotaOf(organizationSlug, service);

    /// <summary>Counts answered calls of a service the organization has no quota of.</summary>
    public void CountUnlimited(Guid organizationId, string service, long calls) => unlimited.Add(organizationId, service, calls);

    /// <summary>
    /// Adds <paramref name="calls"/> to the organization's use of <paramref name="service"/> this month when they fit in its
    /// <paramref name="quota"/>; otherwise changes nothing and says so, with the use so far.
    /// </summary>
    public async Task<QuotaCharge> ChargeAsync(Guid organizationId, string service, long calls, long quota, CancellationToken cancellationToken)
    {
        var charge = new NpgsqlBatchCommand($"""
            WITH charged AS (
                INSERT INTO lds_usage AS usage (organization_id, service, month, used)
                SELECT $1, $2, {ThisMonth}, $3
                WHERE $3 <= $4
                ON CONFLICT (organization_id, service, month) DO UPDATE SET used = usage.used + excluded.used
                WHERE usage.used + excluded.used <= $4
                RETURNING used, month
            )
            SELECT true, used, month FROM charged
            UNION ALL
            SELECT false, coalesce((SELECT used FROM lds_usage WHERE organization_id = $1 AND service = $2 AND month = {ThisMonth}), 0),
                {ThisMonth}
            WHERE NOT EXISTS (SELECT FROM charged)
            """);
        charge.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = organizationId });
        charge.Parameters.Add(new NpgsqlParameter<string> { TypedValue = service });
        charge.Parameters.Add(new NpgsqlParameter<long> { TypedValue = calls });
        charge.Parameters.Add(new NpgsqlParameter<long> { TypedValue = quota });
        // Every call of an organization's service updates one row, whose lock is held until the commit: waiting there for the
        // WAL to reach the disk would make the row a queue of the calls waiting for each other's flush. The commit does
        // not wait, in the same round trip; a crash of PostgreSQL itself may lose the last fraction of a second of counts
        // (in the organizations' favour), never count a call twice or let calls pass the quota together.
        await using var command = metadata.DataSource.CreateBatch();
        command.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        command.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
        command.BatchCommands.Add(charge);
        command.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new QuotaCharge(organizationId, service, calls, reader.GetBoolean(0), reader.GetInt64(1), quota, reader.GetFieldValue<DateOnly>(2));
    }

    /// <summary>Takes a granted charge back: the call it paid for gave no answer (bad input found late, an error, a cancelled request).</summary>
    public async Task RefundAsync(QuotaCharge charge, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand(
            "UPDATE lds_usage SET used = greatest(used - $4, 0) WHERE organization_id = $1 AND service = $2 AND month = $3");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = charge.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = charge.Service });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = charge.Month });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = charge.Calls });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The organization's use of every service this month, with its quotas.</summary>
    public async Task<IReadOnlyList<ServiceUsage>> UsageAsync(Guid organizationId, string organizationSlug, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand($"""
            SELECT service.name, coalesce(usage.used, 0), {ThisMonth}
            FROM unnest($2::text[]) WITH ORDINALITY AS service (name, position)
            LEFT JOIN lds_usage AS usage ON usage.organization_id = $1 AND usage.service = service.name AND usage.month = {ThisMonth}
            ORDER BY service.position
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = organizationId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. LdsServices.All] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var usage = new List<ServiceUsage>();
        var quotas = options.CurrentValue;
        while (await reader.ReadAsync(cancellationToken))
        {
            var service = reader.GetString(0);
            usage.Add(new ServiceUsage(service, quotas.QuotaOf(organizationSlug, service),
                reader.GetInt64(1) + unlimited.Pending(organizationId, service), reader.GetFieldValue<DateOnly>(2)));
        }
        return usage;
    }
}
