using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Imports;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.ObjectStorage;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Options;
using Npgsql;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.ImportWorker.Imports;

/// <summary>
/// Runs an import: the file (uploaded, or fetched from its URL) is read as a stream into a staging table by binary
/// COPY, indexed and analyzed, and replaces the destination — all in one warehouse transaction, as the organization.
/// A failure, a cancel or a crash rolls it back whole: there is never a half-imported table, and an existing table
/// is untouched until the new one is complete. Recovery after a crash is <see cref="WarehouseJobHandler"/>'s.
/// </summary>
public sealed class ImportJobHandler(JobStore store, DataConnections connections, WarehouseDatabase warehouse,
    IObjectStorage storage, IOptions<ImportJobOptions> options, IOptions<ImportOptions> limits, IOptions<MessagingOptions> messaging,
    ILogger<ImportJobHandler> logger)
    : WarehouseJobHandler(store, warehouse, connections, messaging.Value, logger)
{
    protected override string Kind => ImportJobs.Kind;

    protected override string ChangeSource => "import";

    protected override WarehouseJobOptions Options => options.Value;

    protected override JobOutcome Committed(JobRecord job)
    {
        var result = job.Result?.Deserialize<ImportJobResult>(JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"Import {job.Id} committed without a recorded result.");
        return JobOutcome.Succeeded(result, [Changed(result)]);
    }

    /// <summary>
    /// The file is no longer needed once the job has ended, whichever way; nor is the memory the import grew into (a
    /// large feature's buffers): it goes back to the system at once, so an idle worker stays small between imports.
    /// </summary>
    protected override async Task OnEndedAsync(JobRecord job, JobOutcome outcome)
    {
        await storage.DeleteOrWarnAsync(ImportJobs.StorageFolder(job.Id), logger);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    protected override async Task<JobOutcome> RunAsync(JobRecord job, DataConnection target, CancellationToken cancelled,
        CancellationToken stopping)
    {
        var request = job.Request.Deserialize<ImportJobRequest>(JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"Import {job.Id} has no request.");
        var key = ImportJobs.StorageKey(job.Id);
        var fileName = request.FileName;
        if (request.Url is { } url)
        {
            fileName = Path.GetFileName(new Uri(url).AbsolutePath) is { Length: > 0 } name ? name : "download";
            if (await DownloadAsync(url, key, cancelled) is { } problem)
            {
                return JobOutcome.Failed(problem);
            }
        }
        LocalObjectFile? local;
        try
        {
            local = await storage.OpenLocalFileAsync(key, cancelled);
        }
        catch (ObjectStorageException ex)
        {
            logger.LogError("Import {JobId}'s file could not be read: {Reason}", job.Id, ex.Message);
            return JobOutcome.Failed("The import's file could not be read from object storage (it did not answer, or refused); " +
                "import the file again later. The worker's log has the store's reason.");
        }
        if (local is null)
        {
            return JobOutcome.Failed("The import's file is no longer in object storage; upload it again.");
        }

        try
        {
            using var file = ImportFile.Open(local.Path, fileName!, local.ScratchFolder, limits.Value, cancelled);
            return await ImportAsync(job, request, target, file, cancelled, stopping);
        }
        catch (ImportFormatException ex)
        {
            // The readers' messages read as the rest of a sentence ("line 3: …", "the file is empty."); the job's reason starts one.
            return JobOutcome.Failed(char.ToUpperInvariant(ex.Message[0]) + ex.Message[1..], new { problem = ex.Problem, location = ex.Location });
        }
        catch (PostgresException ex) when (!cancelled.IsCancellationRequested && ex.SqlState is not null && !IsServerFailure(ex))
        {
            return JobOutcome.Failed($"The warehouse refused the import: {ex.MessageText}", new { sqlState = ex.SqlState });
        }
        finally
        {
            local.Dispose();
        }
    }

    private async Task<JobOutcome> ImportAsync(JobRecord job, ImportJobRequest request, DataConnection target, ImportFile file,
        CancellationToken cancelled, CancellationToken stopping)
    {
        var started = Stopwatch.StartNew();
        await using var connection = await target.OpenAsync(cancelled);
        await using var transaction = await connection.BeginTransactionAsync(cancelled);
        // An import runs as long as its file takes; ST_IsValid's notices about each invalid geometry are not wanted.
        await connection.ExecuteAsync("SET LOCAL statement_timeout = 0", cancelled);
        await connection.ExecuteAsync("SET LOCAL client_min_messages = warning", cancelled);
        await RecordWarehouseTransactionAsync(job.Id, connection, transaction, cancelled);

        var staging = $"_import_{job.Id:N}";
        var schema = new ImportSchema(request.Autoguessing, NamedTypes(request));
        var writer = new StagingTableWriter(connection, request.Schema, staging, schema);
        var lastProgress = Stopwatch.StartNew();
        await writer.WriteAsync(file, rows =>
        {
            cancelled.ThrowIfCancellationRequested();
            if (lastProgress.Elapsed >= options.Value.ProgressInterval)
            {
                lastProgress.Restart();
                // On the writer's own thread (not the pool's), which may wait for this.
                Store.UpdateProgressAsync(job.Id, new ImportProgress(file.BytesRead, file.BytesTotal, rows), cancelled).GetAwaiter().GetResult();
            }
        }, cancelled);
        if (writer.Rows == 0)
        {
            return JobOutcome.Failed("The file has no features (rows) to import.");
        }
        await Store.UpdateProgressAsync(job.Id, new ImportProgress(file.BytesTotal, file.BytesTotal, writer.Rows), cancelled);

        var written = started.ElapsedMilliseconds;
        var table = $"{SqlIdentifier.Quote(request.Schema)}.{SqlIdentifier.Quote(staging)}";
        var (bounds, invalid) = writer.HasGeometry ? await IndexAsync(connection, table, staging, schema.Geometry, cancelled) : (null, 0);
        var indexed = started.ElapsedMilliseconds;
        await connection.ExecuteAsync($"ANALYZE {table}", cancelled);
        var analyzed = started.ElapsedMilliseconds;

        var replaced = await WarehouseTables.ExistsAsync(connection, request.Schema, request.Table, cancelled);
        if (replaced && !request.Overwrite)
        {
            return JobOutcome.Failed($"{request.Schema}.{request.Table} was created while the file was imported; import again with overwrite=true to replace it.");
        }
        if (replaced)
        {
            await connection.ExecuteAsync($"DROP TABLE {SqlIdentifier.Quote(request.Schema)}.{SqlIdentifier.Quote(request.Table)}", cancelled);
        }
        await connection.ExecuteAsync($"ALTER TABLE {table} RENAME TO {SqlIdentifier.Quote(request.Table)}", cancelled);
        if (writer.HasGeometry)
        {
            await RenameIndexAsync(connection, request.Schema, staging, request.Table, cancelled);
        }

        var columns = schema.Columns
            .Select(column => new ImportedColumn(column.Name, ColumnTypes.SqlName(column.EffectiveType), column.SourceName))
            .Concat(writer.HasGeometry ? [new ImportedColumn(ImportSchema.GeometryColumn, $"geometry({schema.Geometry.PostGisName}, 4326)", null)] : [])
            .ToList();
        var warnings = file.Warnings.ToList();
        if (invalid > 0)
        {
            warnings.Add($"{invalid:N0} geometries are not valid (OGC rules: self-intersections, unclosed or crossing rings…). They are kept as they are; maps repair them when drawing, and ST_MakeValid repairs them in SQL.");
        }
        var result = new ImportJobResult(request.Schema, request.Table, file.FormatName, writer.Rows, columns,
            writer.HasGeometry ? schema.Geometry.PostGisName : null, bounds, invalid, warnings);
        // Kept before the commit: if this worker dies between the two, the next one reports it.
        await Store.RecordResultAsync(job.Id, result, stopping);
        await transaction.CommitAsync(stopping);
        logger.LogInformation(
            "Imported {Rows} rows of {Format} into {Schema}.{Table} in {Elapsed} ms (read and written {Written} ms, indexed {Indexed} ms, analyzed {Analyzed} ms)",
            writer.Rows, file.FormatName, request.Schema, request.Table, started.ElapsedMilliseconds, written, indexed - written, analyzed - indexed);
        return JobOutcome.Succeeded(result, [Changed(result, replaced)]);
    }

    private static ChangedTable Changed(ImportJobResult result, bool replaced = true) =>
        new(result.Schema, result.Table, replaced ? DataChangedMessage.Changes.Rows : DataChangedMessage.Changes.Created);

    /// <summary>The GiST index, the bounds, and how many geometries are invalid (points always are valid).</summary>
    private static async Task<(double[]? Bounds, long Invalid)> IndexAsync(NpgsqlConnection connection, string table, string staging,
        GeometryColumnType geometry, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync($"CREATE INDEX {SqlIdentifier.Quote(staging + "_geom")} ON {table} USING gist (geom)", cancellationToken);
        var validity = geometry.Kind is WkbGeometryType.Point or WkbGeometryType.MultiPoint ? "0" : "count(*) FILTER (WHERE NOT ST_IsValid(geom))";
        await using var command = new NpgsqlCommand(
            $"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), invalid FROM (SELECT ST_Extent(geom) AS e, {validity} AS invalid FROM {table}) s",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        double[]? bounds = reader.IsDBNull(0) ? null : [reader.GetDouble(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3)];
        return (bounds, reader.GetInt64(4));
    }

    /// <summary>The index takes the table's name (<c>table_geom_idx</c>, as PostgreSQL would name it), or the next free one.</summary>
    private static async Task RenameIndexAsync(NpgsqlConnection connection, string schema, string staging, string table,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT name FROM (
                SELECT left($2, 63 - 9 - length(n::text)) || '_geom_idx' || CASE WHEN n = 0 THEN '' ELSE n::text END AS name, n
                FROM generate_series(0, 99) n) candidates
            WHERE to_regclass(format('%I.%I', $1::text, name)) IS NULL
            ORDER BY n LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        if (await command.ExecuteScalarAsync(cancellationToken) is string name)
        {
            await connection.ExecuteAsync(
                $"ALTER INDEX {SqlIdentifier.Quote(schema)}.{SqlIdentifier.Quote(staging + "_geom")} RENAME TO {SqlIdentifier.Quote(name)}",
                cancellationToken);
        }
    }

    private static Dictionary<string, ColumnType>? NamedTypes(ImportJobRequest request) =>
        request.ColumnTypes?.ToDictionary(pair => pair.Key,
            pair => ColumnTypeNames.TryParse(pair.Value, out var type) ? type : ColumnType.Text, StringComparer.OrdinalIgnoreCase);

    /// <summary>Fetches a URL import's file into object storage; null when it worked, else why not.</summary>
    private async Task<string?> DownloadAsync(string url, string key, CancellationToken cancellationToken)
    {
        using var client = ImportUrls.CreateClient(limits.Value.AllowPrivateUrls, options.Value.DownloadTimeout);
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return $"Fetching {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.";
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await storage.PutAsync(key, body, limits.Value.MaxFileBytes, cancellationToken);
            return null;
        }
        catch (ObjectTooLargeException ex)
        {
            return $"The file at {url} is larger than the limit of {ex.MaxBytes:N0} bytes.";
        }
        catch (ObjectStorageException ex)
        {
            logger.LogError("The file of {Url} could not be kept: {Reason}", url, ex.Message);
            return $"The file at {url} was fetched but object storage did not take it (it did not answer, or refused); import it again later.";
        }
        catch (HttpRequestException ex)
        {
            return $"Fetching {url} failed: {ex.Message}";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"Fetching {url} took longer than {options.Value.DownloadTimeout}.";
        }
    }

    /// <summary>Failures of the server itself (resources, connection, internal errors), not of the file: the job is retried.</summary>
    private static bool IsServerFailure(PostgresException ex) => ex.SqlState[..2] is "53" or "57" or "58" or "XX" or "08";
}
