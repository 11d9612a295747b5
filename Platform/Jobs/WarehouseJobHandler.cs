using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Jobs;

/// <summary>How a worker runs its warehouse jobs (each worker's own configuration section).</summary>
public class WarehouseJobOptions
{
    /// <summary>Runs a job gets when its worker keeps stopping mid-run; then it fails with that reason.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often a running job looks for a cancel request.</summary>
    public TimeSpan CancelCheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>How a job ended: its status, result or reason, and the tables it changed (each gets a data-changed event).</summary>
public sealed record JobOutcome(string Status, object? Result, string? Error, object? ErrorDetails, IReadOnlyList<ChangedTable> ChangedTables)
{
    public static JobOutcome Succeeded(object result, IReadOnlyList<ChangedTable> changedTables) =>
        new(JobStatus.Success, result, null, null, changedTables);

    public static JobOutcome Failed(string error, object? details = null) => new(JobStatus.Failure, null, error, details, []);

    public static JobOutcome Cancelled(string reason) => new(JobStatus.Cancelled, null, reason, null, []);
}

/// <summary>
/// A worker's handler of <see cref="JobRequested"/> for jobs that write to the warehouse in one transaction. It ends
/// the job in the handler's transaction, together with the inbox row and a data-changed event per table changed.
/// A run interrupted by a crash is recovered from the warehouse's own record: the run keeps its transaction id
/// (<see cref="RecordWarehouseTransactionAsync"/>) before it changes anything, and the next delivery asks PostgreSQL
/// whether it committed — if so the job succeeded (nothing runs again), if not it runs again, up to
/// <see cref="WarehouseJobOptions.MaxAttempts"/> runs. A cancel request stops the run through its token.
/// </summary>
public abstract class WarehouseJobHandler(JobStore store, WarehouseDatabase warehouse, DataConnections connections, MessagingOptions messaging,
    ILogger logger)
    : IMessageHandler<JobRequested>
{
    protected JobStore Store { get; } = store;

    /// <summary>The jobs' kind (<c>jobs.kind</c>); a message about a job of another kind is ignored.</summary>
    protected abstract string Kind { get; }

    /// <summary>What the data-changed events name as the change's origin.</summary>
    protected abstract string ChangeSource { get; }

    protected abstract WarehouseJobOptions Options { get; }

    /// <summary>
    /// Runs the job on <paramref name="connection"/>, the job's connection as its user may use it (on the built-in warehouse,
    /// the organization's role). <paramref name="cancelled"/> fires when the job's cancel is requested (or the worker stops):
    /// the run lets its <see cref="OperationCanceledException"/> through and the job ends cancelled. The commit and
    /// what comes after it take <paramref name="stopping"/> alone: once the warehouse commits, a cancel is too late.
    /// </summary>
    protected abstract Task<JobOutcome> RunAsync(JobRecord job, DataConnection connection, CancellationToken cancelled,
        CancellationToken stopping);

    /// <summary>The outcome of a run whose warehouse transaction committed before its worker stopped, from its kept result.</summary>
    protected abstract JobOutcome Committed(JobRecord job);

    /// <summary>Called once the job's end is recorded in the handler's transaction, for clean-up: it must not throw.</summary>
    protected virtual Task OnEndedAsync(JobRecord job, JobOutcome outcome) => Task.CompletedTask;

    public async Task HandleAsync(JobRequested message, MessageContext context, CancellationToken cancellationToken)
    {
        var job = await Store.FindForWorkerAsync(message.JobId, cancellationToken);
        if (job is null || job.Kind != Kind || JobStatus.IsFinished(job.Status))
        {
            logger.LogInformation("Job {JobId} is {State}: nothing to run", message.JobId, job?.Status ?? "unknown");
            return;
        }

        var slug = await ReadOrganizationSlugAsync(context.Connection, job.OrganizationId, cancellationToken);
        var connection = await connections.FindAsync(new ConnectionScope(job.OrganizationId, slug, job.UserId), job.Connection!, cancellationToken);
        JobOutcome outcome;
        if (job.CancelRequestedAt is not null)
        {
            outcome = JobOutcome.Cancelled("cancelled before it ran");
        }
        else if (connection is null)
        {
            outcome = JobOutcome.Failed($"The connection '{job.Connection}' is gone, or no longer one the job's user may use.");
        }
        else if (job.Status == JobStatus.Running && await RecoverAsync(job, connection, cancellationToken) is { } recovered)
        {
            outcome = recovered;
        }
        else if (job.Attempts >= Options.MaxAttempts)
        {
            outcome = JobOutcome.Failed(
                $"The job was started {job.Attempts} times without finishing (its worker stopped, or could not reach the warehouse), so it is not run again.");
        }
        else
        {
            try
            {
                var attempt = await Store.StartAttemptAsync(job.Id, cancellationToken);
                logger.LogInformation("Running {Kind} job {JobId}, attempt {Attempt}", Kind, job.Id, attempt);
                outcome = await RunWatchedAsync(job, connection, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && context.DeliveryAttempt >= messaging.MaxDeliveryAttempts)
            {
                // The last delivery: after it the message is dead-lettered, and a job left running would stay so.
                logger.LogError(ex, "Job {JobId} could not run on delivery {Attempt}, the last", job.Id, context.DeliveryAttempt);
                outcome = JobOutcome.Failed(
                    $"The worker could not run the job in {context.DeliveryAttempt} deliveries; its log has the reason.");
            }
        }

        await JobStore.CompleteAsync(context.Transaction, job.Id, outcome.Status, outcome.Result, outcome.Error, outcome.ErrorDetails,
            cancellationToken);
        foreach (var table in outcome.ChangedTables)
        {
            var changed = new DataChangedMessage(job.OrganizationId, slug, job.Connection!, table.Schema, table.Table, table.Change,
                ChangeSource, job.Id);
            await OutboxWriter.EnqueueAsync(context.Transaction, MessagingTopology.Topics.DataChanged, changed, changed.OrderingKey,
                cancellationToken);
        }
        await OnEndedAsync(job, outcome);
        logger.LogInformation("{Kind} job {JobId} ended: {Status}", Kind, job.Id, outcome.Status);
    }

    /// <summary>
    /// Keeps the id of <paramref name="transaction"/> and its backend in the job's record, before the run changes
    /// anything: what a worker taking over after a crash asks PostgreSQL about.
    /// </summary>
    protected async Task RecordWarehouseTransactionAsync(Guid jobId, NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT txid_current(), pg_backend_pid()", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        await Store.RecordWarehouseTransactionAsync(jobId, reader.GetInt64(0), reader.GetInt32(1), cancellationToken);
    }

    private async Task<JobOutcome> RunWatchedAsync(JobRecord job, DataConnection connection, CancellationToken cancellationToken)
    {
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WatchForCancelAsync(job.Id, cancelled);
        try
        {
            return await RunAsync(job, connection, cancelled.Token, cancellationToken);
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return JobOutcome.Cancelled("cancelled while running: its work was stopped and its changes rolled back");
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
                await Task.Delay(Options.CancelCheckInterval, running.Token);
                if (await Store.IsCancelRequestedAsync(jobId, running.Token))
                {
                    logger.LogInformation("Cancelling job {JobId} on request", jobId);
                    await running.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Stopped watching job {JobId} for a cancel request: {Reason}", jobId, ex.Message);
        }
    }

    /// <summary>
    /// What became of an interrupted run, from the database it ran on: committed (the job succeeded), or not (null: run
    /// again). A backend still running it is stopped first. A transaction PostgreSQL no longer knows ends the job as failed,
    /// since running it again might apply it twice. On the built-in warehouse the administrator asks; on a user's own
    /// database the connection's login, which may see and stop its own sessions.
    /// </summary>
    private async Task<JobOutcome?> RecoverAsync(JobRecord job, DataConnection connection, CancellationToken cancellationToken)
    {
        if (job.WarehouseXid is not { } xid)
        {
            return null;
        }
        await using var session = connection.IsBuiltIn
            ? await warehouse.DataSource.OpenConnectionAsync(cancellationToken)
            : await connection.OpenAsync(cancellationToken);
        var status = await TransactionStatusAsync(session, xid, cancellationToken);
        if (status == "in progress" && job.WarehousePid is { } pid)
        {
            logger.LogWarning("Stopping the backend {Pid} of job {JobId}'s interrupted run", pid, job.Id);
            await using (var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_xid IS NOT NULL", session))
            {
                terminate.Parameters.Add(new NpgsqlParameter { Value = pid });
                await terminate.ExecuteNonQueryAsync(cancellationToken);
            }
            for (var waited = 0; status == "in progress" && waited < 100; waited++)
            {
                await Task.Delay(100, cancellationToken);
                status = await TransactionStatusAsync(session, xid, cancellationToken);
            }
        }
        logger.LogInformation("Job {JobId}'s interrupted run: transaction {Xid} is {Status}", job.Id, xid, status ?? "unknown");
        return status switch
        {
            "committed" => Committed(job),
            "aborted" => null,
            _ => JobOutcome.Failed(
                "The worker stopped while running this job and the database cannot tell whether its transaction committed; it is not run again."),
        };
    }

    private static async Task<string?> TransactionStatusAsync(NpgsqlConnection session, long xid, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT txid_status($1)", session);
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
