using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Warehouse;

/// <summary>
/// Makes the warehouse ready for organizations: PostGIS, and for each organization a schema and a login role that
/// reaches that schema and nothing of anyone else's. Idempotent; replicas serialize on an advisory lock.
/// </summary>
public sealed class WarehouseProvisioner(WarehouseDatabase warehouse, ILogger<WarehouseProvisioner> logger)
{
    private const long ProvisioningLockKey = 0x6361_7274_6f77_6864;

    public async Task ProvisionAsync(IEnumerable<string> organizationSlugs, CancellationToken cancellationToken)
    {
        var slugs = organizationSlugs.ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ProvisionOnceAsync(slugs, cancellationToken);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InternalError && attempt < 5)
            {
                // Roles belong to the whole cluster: another database's provisioner altering the same role at the same
                // moment fails one of the two with "tuple concurrently updated" (and ends its session). Every step is
                // idempotent, so the one that lost does it all again.
                logger.LogInformation("Provisioning again after: {Reason}", ex.MessageText);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), cancellationToken);
            }
        }
    }

    private async Task ProvisionOnceAsync(IReadOnlyList<string> organizationSlugs, CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("SELECT pg_advisory_lock($1)", cancellationToken, ProvisioningLockKey);
        try
        {
            await connection.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS postgis", cancellationToken);
            // Only the organizations' roles (granted below) may connect, and nobody but the administrator creates
            // objects outside their own schema (PostgreSQL 15 already revokes CREATE on public; older ones did not).
            var database = SqlIdentifier.Quote(connection.Database);
            await connection.ExecuteAsync($"REVOKE ALL ON DATABASE {database} FROM PUBLIC", cancellationToken);
            await connection.ExecuteAsync("REVOKE CREATE ON SCHEMA public FROM PUBLIC", cancellationToken);
            foreach (var slug in organizationSlugs)
            {
                await EnsureOrganizationAsync(connection, slug, cancellationToken);
            }
        }
        finally
        {
            // A session that broke took its lock with it; unlocking it would only hide why it broke.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock($1)", CancellationToken.None, ProvisioningLockKey);
            }
        }
    }

    private async Task EnsureOrganizationAsync(NpgsqlConnection connection, string slug, CancellationToken cancellationToken)
    {
        var name = WarehouseDatabase.OrganizationSchema(slug);
        var role = SqlIdentifier.Quote(name);
        // Roles belong to the whole cluster, so another database's provisioner may create the same one at the same time.
        try
        {
            await connection.ExecuteAsync($"CREATE ROLE {role} NOINHERIT", cancellationToken);
            logger.LogInformation("Created warehouse role {Role}", name);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
        }
        // Setting the password again repairs a role whose password changed (an organization may change its own).
        var verifier = OrganizationRoles.ScramVerifier(OrganizationRoles.Password(warehouse.AdministratorPassword, name));
        await connection.ExecuteAsync(
            $"ALTER ROLE {role} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{verifier}'",
            cancellationToken);
        await connection.ExecuteAsync($"ALTER ROLE {role} SET search_path = {role}, public", cancellationToken);
        await connection.ExecuteAsync($"CREATE SCHEMA IF NOT EXISTS {role} AUTHORIZATION {role}", cancellationToken);
        await connection.ExecuteAsync($"GRANT CONNECT, TEMPORARY ON DATABASE {SqlIdentifier.Quote(connection.Database)} TO {role}",
            cancellationToken);
    }
}
