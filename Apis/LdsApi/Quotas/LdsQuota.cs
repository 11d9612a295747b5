using CartoSelfHosted.Platform.Metadata;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.LdsApi.Quotas;

/// <summary>What a charge of an organization's quota came to: granted or not, and the month's use after it.</summary>
public sealed record QuotaCharge(Guid OrganizationId, string Service, long Calls, bool Granted, long Used, long Quota, DateOnly Month);

/// <summary>
/// An organization's use of a service this month against its quota; <paramref name="QuotaSetForOrganization"/> when an admin
/// set that quota through the API.
/// </summary>
public sealed record ServiceUsage(string Service, long? Quota, long Used, DateOnly Month, bool QuotaSetForOrganization)
{
    /// <summary>The calls left this month; null without a quota.</summary>
    public long? Left => Quota is { } quota ? Math.Max(quota - Used, 0) : null;
}

/// <summary>An organization and its use of every service this month, as an installation admin sees it.</summary>
public sealed record OrganizationUsage(Guid Id, string Slug, string Name, IReadOnlyList<ServiceUsage> Services);

/// <summary>
/// Counts organizations' calls of lds-api's services per calendar month (UTC) in the metadata database's <c>lds_usage</c>, against
/// their quotas: those an admin set through the API (<see cref="QuotasSetByAdmins"/>), else <see cref="LdsQuotaOptions"/>'s. A
/// charge is one statement that adds the calls only if they fit, under the row's lock: concurrent calls, on any replica, are
/// counted exactly and never pass the quota together. The calls of a service the organization has no quota of are counted by
/// <see cref="UnlimitedUseCounter"/> instead, once they are answered.
/// </summary>
public sealed class LdsQuota(MetadataDatabase metadata, IOptionsMonitor<LdsQuotaOptions> options, QuotasSetByAdmins setByAdmins,
    UnlimitedUseCounter unlimited)
{
    private const string ThisMonth = "date_trunc('month', now() AT TIME ZONE 'UTC')::date";

    /// <summary>The organization's monthly quota of the service; null when it has none.</summary>
    public async ValueTask<long?> QuotaOfAsync(Guid organizationId, string organizationSlug, string service, CancellationToken cancellationToken) =>
        await setByAdmins.FindAsync(organizationId, service, cancellationToken) is (true, var set)
            ? set
            : options.CurrentValue.QuotaOf(organizationSlug, service);

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
    public async Task<IReadOnlyList<ServiceUsage>> UsageAsync(Guid organizationId, CancellationToken cancellationToken) =>
        (await ReadUsageAsync(organizationId, null, cancellationToken)).Single().Services;

    /// <summary>Every organization's use of every service this month, with its quotas; or only the one of <paramref name="slug"/>, if it exists.</summary>
    public Task<IReadOnlyList<OrganizationUsage>> OrganizationsUsageAsync(string? slug, CancellationToken cancellationToken) =>
        ReadUsageAsync(null, slug, cancellationToken);

    /// <summary>
    /// Reads the quotas an admin set from the database rather than from memory, so that an answer after a change shows it on
    /// any replica.
    /// </summary>
    private async Task<IReadOnlyList<OrganizationUsage>> ReadUsageAsync(Guid? organizationId, string? slug, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand($"""
            SELECT organization.id, organization.slug, organization.name, service.name, quota.organization_id IS NOT NULL,
                quota.monthly_quota, coalesce(usage.used, 0), {ThisMonth}
            FROM organizations AS organization
            CROSS JOIN unnest($1::text[]) WITH ORDINALITY AS service (name, position)
            LEFT JOIN lds_quotas AS quota ON quota.organization_id = organization.id AND quota.service = service.name
            LEFT JOIN lds_usage AS usage ON usage.organization_id = organization.id AND usage.service = service.name
                AND usage.month = {ThisMonth}
            WHERE ($2::uuid IS NULL OR organization.id = $2) AND ($3::text IS NULL OR organization.slug = $3)
            ORDER BY organization.created_at, organization.slug, service.position
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. LdsServices.All] });
        command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = organizationId });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = slug });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(Guid Id, string Slug, string Name, ServiceUsage Usage)>();
        var configured = options.CurrentValue;
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, organizationSlug, service, set) = (reader.GetGuid(0), reader.GetString(1), reader.GetString(3), reader.GetBoolean(4));
            var quota = set ? (reader.IsDBNull(5) ? null : reader.GetInt64(5)) : configured.QuotaOf(organizationSlug, service);
            rows.Add((id, organizationSlug, reader.GetString(2), new ServiceUsage(service, quota,
                reader.GetInt64(6) + unlimited.Pending(id, service), reader.GetFieldValue<DateOnly>(7), set)));
        }
        return [.. rows.GroupBy(row => (row.Id, row.Slug, row.Name))
            .Select(organization => new OrganizationUsage(organization.Key.Id, organization.Key.Slug, organization.Key.Name,
                [.. organization.Select(row => row.Usage)]))];
    }
}
