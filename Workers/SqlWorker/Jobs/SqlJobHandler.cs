using System.Text.Json;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.SqlWorker.Jobs;

/// <summary>
/// Runs a batch SQL job on its connection (as its organization on the built-in warehouse, under a user connection's own
/// credentials elsewhere), in one transaction (recovery, cancel and the job's end are <see cref="WarehouseJobHandler"/>'s).
/// The tables it changes are looked for in the connection's default schema (the organization's, on the warehouse).
/// </summary>
public sealed class SqlJobHandler(JobStore store, DataConnections connections, WarehouseDatabase warehouse,
    IOptions<SqlJobOptions> options, IOptions<MessagingOptions> messaging, ILogger<SqlJobHandler> logger)
    : WarehouseJobHandler(store, warehouse, connections, messaging.Value, logger)
{
    protected override string Kind => SqlJobs.Kind;

    protected override string ChangeSource => "sql-job";

    protected override WarehouseJobOptions Options => options.Value;

    protected override JobOutcome Committed(JobRecord job)
    {
        var result = job.Result?.Deserialize<SqlJobResult>(JsonSerializerOptions.Web) ?? new SqlJobResult(0, []);
        return JobOutcome.Succeeded(result, result.ChangedTables);
    }

    protected override async Task<JobOutcome> RunAsync(JobRecord job, DataConnection target, CancellationToken cancelled,
        CancellationToken stopping)
    {
        var request = job.Request.Deserialize<SqlJobRequest>(JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"Job {job.Id} has no request.");
        var schema = target.DefaultSchema;

        await using var connection = await target.OpenAsync(cancelled);
        await using var transaction = await connection.BeginTransactionAsync(cancelled);
        // A number of the platform's configuration, not the caller's: safe to write into the statement.
        await using (var timeout = new NpgsqlCommand(
            $"SET LOCAL statement_timeout = {(long)options.Value.StatementTimeout.TotalMilliseconds}", connection, transaction))
        {
            await timeout.ExecuteNonQueryAsync(cancelled);
        }
        await RecordWarehouseTransactionAsync(job.Id, connection, transaction, cancelled);
        var before = await ChangedTables.TakeAsync(connection, schema, cancelled);
        try
        {
            // Without parameters Npgsql splits the text at its semicolons (minding quotes and comments) and runs the
            // statements in order, in this transaction.
            await using var command = new NpgsqlCommand(request.Query, connection, transaction) { CommandTimeout = 0 };
            var rowsAffected = await command.ExecuteNonQueryAsync(cancelled);
            var result = new SqlJobResult(Math.Max(rowsAffected, 0), await ChangedTables.FindAsync(connection, schema, before, cancelled));
            // Kept before the commit: if this worker dies between the two, the next one reports it.
            await Store.RecordResultAsync(job.Id, result, stopping);
            await transaction.CommitAsync(stopping);
            return JobOutcome.Succeeded(result, result.ChangedTables);
        }
        catch (PostgresException ex) when (!cancelled.IsCancellationRequested)
        {
            return JobOutcome.Failed(ex.MessageText, new SqlJobErrorDetails(ex.SqlState, ex.Position > 0 ? ex.Position : null, ex.Hint));
        }
    }
}
