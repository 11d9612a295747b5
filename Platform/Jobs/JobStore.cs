using System.Text.Json;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.Platform.Jobs;

/// <summary>The <c>jobs</c> table, for the APIs that accept jobs and the workers that run them.</summary>
public sealed class JobStore(MetadataDatabase metadata)
{
    private const string Columns = """
        id, kind, organization_id, status, connection, request, progress, result, error, error_details, attempts,
        created_at, started_at, finished_at, cancel_requested_at, warehouse_xid, warehouse_pid, user_id
        """;

    /// <summary>
    /// Records a pending job and the message that asks <paramref name="topic"/>'s worker to run it, in one transaction.
    /// With <paramref name="maxActive"/>, an organization that already has that many jobs of the kind pending or
    /// running gets <see cref="ActiveJobLimitException"/> instead. <paramref name="id"/> is the job's, when the caller
    /// has already used it (to name the job's upload). <paramref name="userId"/> is who asked (null: a token no user holds):
    /// the job runs on the connection as that user may use it.
    /// </summary>
    public async Task<JobRecord> CreateAsync(string kind, Guid organizationId, string connection, object request, string topic,
        CancellationToken cancellationToken, int? maxActive = null, Guid? id = null, Guid? userId = null)
    {
        await using var db = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        if (maxActive is { } limit)
        {
            // One organization's submissions of a kind queue on this lock, so two cannot both take the last place.
            await db.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended($1::text || $2, 0))", cancellationToken, organizationId, kind);
            if (await CountActiveAsync(db, organizationId, kind, cancellationToken) >= limit)
            {
                throw new ActiveJobLimitException(limit);
            }
        }
        JobRecord job;
        await using (var command = new NpgsqlCommand($"""
            INSERT INTO jobs (id, kind, organization_id, connection, request, user_id) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
            RETURNING {Columns}
            """, db, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = id ?? Guid.CreateVersion7() });
            command.Parameters.Add(new NpgsqlParameter { Value = kind });
            command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
            command.Parameters.Add(new NpgsqlParameter { Value = connection });
            command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(request, JsonSerializerOptions.Web) });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)userId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            job = (await ReadAllAsync(command, cancellationToken))[0];
        }
        await OutboxWriter.EnqueueAsync(transaction, topic, new JobRequested(job.Id, organizationId), cancellationToken: cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return job;
    }

    /// <summary>
    /// How many jobs of the kind the organization has pending or running: for an API to refuse a request before reading
    /// its body (<see cref="CreateAsync"/> counts again, under its lock, to decide).
    /// </summary>
    public async Task<long> CountActiveAsync(Guid organizationId, string kind, CancellationToken cancellationToken)
    {
        await using var db = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        return await CountActiveAsync(db, organizationId, kind, cancellationToken);
    }

    private static async Task<long> CountActiveAsync(NpgsqlConnection db, Guid organizationId, string kind, CancellationToken cancellationToken)
    {
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM jobs WHERE organization_id = $1 AND kind = $2 AND status IN ('pending', 'running')", db);
        count.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        count.Parameters.Add(new NpgsqlParameter { Value = kind });
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The job, when it exists and belongs to the organization (and is of <paramref name="kind"/>, when given).</summary>
    public async Task<JobRecord?> FindAsync(Guid id, Guid organizationId, string? kind, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand(
            $"SELECT {Columns} FROM jobs WHERE id = $1 AND organization_id = $2 AND ($3::text IS NULL OR kind = $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>An organization's jobs of one kind, newest first.</summary>
    public async Task<JobPage> ListAsync(Guid organizationId, string kind, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand($"""
            SELECT {Columns}, count(*) OVER ()
            FROM jobs WHERE organization_id = $1 AND kind = $2
            ORDER BY created_at DESC, id
            LIMIT $3 OFFSET $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize });
        // As a 64-bit number: a huge page is an empty page, not an overflow.
        command.Parameters.Add(new NpgsqlParameter { Value = (long)(page - 1) * pageSize });
        var jobs = new List<JobRecord>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(Read(reader));
            total = reader.GetInt64(18);
        }
        return new JobPage(jobs, page, pageSize, total);
    }

    /// <summary>
    /// Asks for the job to stop. A pending job is cancelled at once; a running one is cancelled by its worker, which
    /// watches for the request. A finished job does not change. Null when there is no such job.
    /// </summary>
    public async Task<JobRecord?> RequestCancelAsync(Guid id, Guid organizationId, string kind, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand($"""
            UPDATE jobs SET
                cancel_requested_at = coalesce(cancel_requested_at, now()),
                status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,
                finished_at = CASE WHEN status = 'pending' THEN now() ELSE finished_at END,
                error = CASE WHEN status = 'pending' THEN 'cancelled before it started' ELSE error END,
                updated_at = now()
            WHERE id = $1 AND organization_id = $2 AND kind = $3 AND status IN ('pending', 'running')
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault() ?? await FindAsync(id, organizationId, kind, cancellationToken);
    }

    /// <summary>The job, by id alone: for the worker, which trusts its message.</summary>
    public async Task<JobRecord?> FindForWorkerAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand($"SELECT {Columns} FROM jobs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Marks the job running for a new attempt (committed at once, so the API sees it) and returns the attempt number.</summary>
    public async Task<int> StartAttemptAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("""
            UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()),
                warehouse_xid = NULL, warehouse_pid = NULL, updated_at = now()
            WHERE id = $1 AND status IN ('pending', 'running')
            RETURNING attempts
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) is int attempts
            ? attempts
            : throw new InvalidOperationException($"Job {id} is no longer pending or running.");
    }

    public async Task RecordWarehouseTransactionAsync(Guid id, long transactionId, int backendPid, CancellationToken cancellationToken)
    {
        await using var db = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await db.ExecuteAsync("UPDATE jobs SET warehouse_xid = $2, warehouse_pid = $3, updated_at = now() WHERE id = $1",
            cancellationToken, id, transactionId, backendPid);
    }

    /// <summary>Keeps the result before the warehouse commits, so a worker that takes over after a crash can report it.</summary>
    public async Task RecordResultAsync(Guid id, object result, CancellationToken cancellationToken)
    {
        await using var db = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await db.ExecuteAsync("UPDATE jobs SET result = $2::jsonb, updated_at = now() WHERE id = $1",
            cancellationToken, id, JsonSerializer.Serialize(result, JsonSerializerOptions.Web));
    }

    /// <summary>The run's progress so far, written at once (outside the handler's transaction) so the API shows it.</summary>
    public async Task UpdateProgressAsync(Guid id, object progress, CancellationToken cancellationToken)
    {
        await using var db = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await db.ExecuteAsync("UPDATE jobs SET progress = $2::jsonb, updated_at = now() WHERE id = $1 AND status = 'running'",
            cancellationToken, id, JsonSerializer.Serialize(progress, JsonSerializerOptions.Web));
    }

    public async Task<bool> IsCancelRequestedAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("SELECT cancel_requested_at IS NOT NULL FROM jobs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>
    /// Ends the job in <paramref name="transaction"/> (the handler's, with its inbox row). A finished job stays as it was.
    /// The clock's time, not the transaction's: the handler's transaction began before the job ran.
    /// </summary>
    public static async Task CompleteAsync(NpgsqlTransaction transaction, Guid id, string status, object? result, string? error,
        object? errorDetails, CancellationToken cancellationToken)
    {
        await transaction.Connection!.ExecuteAsync("""
            UPDATE jobs SET status = $2, result = coalesce($3::jsonb, result), error = $4, error_details = $5::jsonb,
                finished_at = clock_timestamp(), updated_at = clock_timestamp()
            WHERE id = $1 AND status IN ('pending', 'running')
            """, cancellationToken, id, status, Json(result), (object?)error ?? DBNull.Value, Json(errorDetails));
    }

    private static object Json(object? value) => value is null ? DBNull.Value : JsonSerializer.Serialize(value, JsonSerializerOptions.Web);

    private static async Task<List<JobRecord>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var jobs = new List<JobRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(Read(reader));
        }
        return jobs;
    }

    private static JobRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        JsonElementOf(reader, 5)!.Value, JsonElementOf(reader, 6)!.Value, JsonElementOf(reader, 7),
        reader.IsDBNull(8) ? null : reader.GetString(8), JsonElementOf(reader, 9), reader.GetInt32(10),
        reader.GetFieldValue<DateTimeOffset>(11),
        reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
        reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13),
        reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14),
        reader.IsDBNull(15) ? null : reader.GetInt64(15),
        reader.IsDBNull(16) ? null : reader.GetInt32(16),
        reader.IsDBNull(17) ? null : reader.GetGuid(17));

    private static JsonElement? JsonElementOf(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : JsonSerializer.Deserialize<JsonElement>(reader.GetString(ordinal));
}

/// <summary>The organization has as many jobs of the kind pending or running as it may.</summary>
public sealed class ActiveJobLimitException(int limit)
    : Exception($"The organization already has {limit} jobs of this kind waiting or running; try again when one has ended.")
{
    public int Limit { get; } = limit;
}
