using System.Text.Json;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.SqlWorker.Jobs;

/// <summary>
/// Runs a batch SQL job as its organization, in one warehouse transaction, and ends it in the handler's transaction
/// together with the inbox row and a data-changed event per table it changed.
/// A run interrupted by a crash is recovered from the warehouse's own record: the transaction id is kept before any
/// statement runs, and the next delivery asks PostgreSQL whether it committed — if so the job succeeded (nothing runs
/// again), if not it runs again, up to <see cref="SqlJobOptions.MaxAttempts"/> runs.
/// </summary>
public sealed class SqlJobHandler(JobStore store, OrganizationDataSources organizations, WarehouseDatabase warehouse,
    IOptions<SqlJobOptions> options, IOptions<MessagingOptions> messaging, ILogger<SqlJobHandler> logger) : IMessageHandler<JobRequested>
{
    private sealed record Outcome(string Status, SqlJobResult? Result, string? Error, SqlJobErrorDetails? Details);

    public async Task HandleAsync(JobRequested message, MessageContext context, CancellationToken cancellationToken)
    {
        var job = await store.FindForWorkerAsync(message.JobId, cancellationToken);
        if (job is null || job.Kind != SqlJobs.Kind || JobStatus.IsFinished(job.Status))
        {
            logger.LogInformation("Job {JobId} is {State}: nothing to run", message.JobId, job?.Status ?? "unknown");
            return;
        }

        var slug = await ReadOrganizationSlugAsync(context.Connection, job.OrganizationId, cancellationToken);
        Outcome outcome;
        if (job.CancelRequestedAt is not null)
        {
            outcome = new Outcome(JobStatus.Cancelled, null, "cancelled before it ran", null);
        }
        else if (job.Status == JobStatus.Running && await RecoverAsync(job, cancellationToken) is { } recovered)
        {
            outcome = recovered;
        }
        else if (job.Attempts >= options.Value.MaxAttempts)
        {
            outcome = new Outcome(JobStatus.Failure, null,
                $"The job was started {job.Attempts} times without finishing (its worker stopped, or could not reach the warehouse), so it is not run again.",
                null);
        }
        else
        {
            try
            {
                var attempt = await store.StartAttemptAsync(job.Id, cancellationToken);
                logger.LogInformation("Running SQL job {JobId}, attempt {Attempt}", job.Id, attempt);
                outcome = await RunAsync(job, slug, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && context.DeliveryAttempt >= messaging.Value.MaxDeliveryAttempts)
            {
                // The last delivery: after it the message is dead-lettered, and a job left running would stay so.
                logger.LogError(ex, "SQL job {JobId} could not run on delivery {Attempt}, the last", job.Id, context.DeliveryAttempt);
                outcome = new Outcome(JobStatus.Failure, null,
                    $"The worker could not run the job in {context.DeliveryAttempt} deliveries; sql-worker's log has the reason.", null);
            }
        }

        await JobStore.CompleteAsync(context.Transaction, job.Id, outcome.Status, outcome.Result, outcome.Error, outcome.Details,
            cancellationToken);
        foreach (var table in outcome.Result?.ChangedTables ?? [])
        {
            var changed = new DataChangedMessage(job.OrganizationId, slug, job.Connection!, table.Schema, table.Table, table.Change, "sql-job", job.Id);
            await OutboxWriter.EnqueueAsync(context.Transaction, MessagingTopology.Topics.DataChanged, changed, changed.OrderingKey,
                cancellationToken);
        }
        logger.LogInformation("SQL job {JobId} ended: {Status}", job.Id, outcome.Status);
    }

    private async Task<Outcome> RunAsync(JobRecord job, string organizationSlug, CancellationToken cancellationToken)
    {
        var request = job.Request.Deserialize<SqlJobRequest>(JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"Job {job.Id} has no request.");
        var schema = WarehouseDatabase.OrganizationSchema(organizationSlug);

        await using var connection = await organizations.OpenConnectionAsync(organizationSlug, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var start = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                // A number of the platform's configuration, not the caller's: safe to write into the statement.
                new NpgsqlBatchCommand($"SET LOCAL statement_timeout = {(long)options.Value.StatementTimeout.TotalMilliseconds}"),
                new NpgsqlBatchCommand("SELECT txid_current(), pg_backend_pid()"),
            },
        })
        await using (var reader = await start.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            await store.RecordWarehouseTransactionAsync(job.Id, reader.GetInt64(0), reader.GetInt32(1), cancellationToken);
        }
        var before = await ChangedTables.TakeAsync(connection, schema, cancellationToken);

        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WatchForCancelAsync(job.Id, cancelled);
        try
        {
            // Without parameters Npgsql splits the text at its semicolons (minding quotes and comments) and runs the
            // statements in order, in this transaction.
            await using var command = new NpgsqlCommand(request.Query, connection, transaction) { CommandTimeout = 0 };
            var rowsAffected = await command.ExecuteNonQueryAsync(cancelled.Token);
            var result = new SqlJobResult(Math.Max(rowsAffected, 0), await ChangedTables.FindAsync(connection, schema, before, cancelled.Token));
            // Kept before the commit: if this worker dies between the two, the next one reports it.
            await store.RecordResultAsync(job.Id, result, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new Outcome(JobStatus.Success, result, null, null);
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new Outcome(JobStatus.Cancelled, null, "cancelled while running: its statement was stopped and its changes rolled back", null);
        }
        catch (PostgresException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new Outcome(JobStatus.Failure, null, ex.MessageText,
                new SqlJobErrorDetails(ex.SqlState, ex.Position > 0 ? ex.Position : null, ex.Hint));
        }
        finally
        {
            await cancelled.CancelAsync();
            await watch;
        }
    }

    /// <summary>Cancels <paramref name="running"/> when the job's cancel is requested (or when the run ends).</summary>
    private async Task WatchForCancelAsync(Guid jobId, CancellationTokenSource running)
    {
        try
        {
            while (!running.IsCancellationRequested)
            {
                await Task.Delay(options.Value.CancelCheckInterval, running.Token);
                if (await store.IsCancelRequestedAsync(jobId, running.Token))
                {
                    logger.LogInformation("Cancelling SQL job {JobId} on request", jobId);
                    await running.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Stopped watching SQL job {JobId} for a cancel request: {Reason}", jobId, ex.Message);
        }
    }

    /// <summary>
    /// What became of an interrupted run, from the warehouse: committed (the job succeeded), or not (null: run again).
    /// A backend still running it is stopped first. A transaction PostgreSQL no longer knows ends the job as failed,
    /// since running it again might apply it twice.
    /// </summary>
    private async Task<Outcome?> RecoverAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (job.WarehouseXid is not { } xid)
        {
            return null;
        }
        var status = await TransactionStatusAsync(xid, cancellationToken);
        if (status == "in progress" && job.WarehousePid is { } pid)
        {
            logger.LogWarning("Stopping the backend {Pid} of SQL job {JobId}'s interrupted run", pid, job.Id);
            await using var terminate = warehouse.DataSource.CreateCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_xid IS NOT NULL");
            terminate.Parameters.Add(new NpgsqlParameter { Value = pid });
            await terminate.ExecuteNonQueryAsync(cancellationToken);
            for (var waited = 0; status == "in progress" && waited < 100; waited++)
            {
                await Task.Delay(100, cancellationToken);
                status = await TransactionStatusAsync(xid, cancellationToken);
            }
        }
        logger.LogInformation("SQL job {JobId}'s interrupted run: warehouse transaction {Xid} is {Status}", job.Id, xid, status ?? "unknown");
        return status switch
        {
            "committed" => new Outcome(JobStatus.Success, job.Result?.Deserialize<SqlJobResult>(JsonSerializerOptions.Web), null, null),
            "aborted" => null,
            _ => new Outcome(JobStatus.Failure, null,
                "The worker stopped while running this job and the warehouse cannot tell whether its transaction committed; it is not run again.", null),
        };
    }

    private async Task<string?> TransactionStatusAsync(long xid, CancellationToken cancellationToken)
    {
        await using var command = warehouse.DataSource.CreateCommand("SELECT txid_status($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = xid });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private static async Task<string> ReadOrganizationSlugAsync(NpgsqlConnection connection, Guid organizationId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT slug FROM organizations WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        return await command.ExecuteScalarAsync(cancellationToken) as string
            ?? throw new InvalidOperationException($"Organization {organizationId} does not exist.");
    }
}
