using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.Platform.Postgres;

/// <summary>Ready when the database answers a trivial query within the health check's time.</summary>
public sealed class DbDataSourceHealthCheck(DbDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is DbException or OperationCanceledException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // The exception (with host and port) goes to the log; the description is public.
            return new HealthCheckResult(context.Registration.FailureStatus, "the database does not answer", ex);
        }
    }
}
