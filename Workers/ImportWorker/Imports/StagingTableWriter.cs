using System.Globalization;
using System.Collections.Concurrent;
using CartoSelfHosted.Platform.Imports;
using CartoSelfHosted.Platform.Postgres;
using Npgsql;
using NpgsqlTypes;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.ImportWorker.Imports;

/// <summary>
/// Writes a file's features into a new table with PostgreSQL's binary COPY, in the caller's transaction. The table's
/// columns come from the first features; when a later feature brings a new field, a value that does not fit its
/// column, or another geometry type, the COPY pauses, the table is altered (widened) and the COPY goes on — so the
/// file is read once, and memory holds only the first features and one feature at a time.
/// The file is read on a thread of its own while another writes: parsing and PostgreSQL run side by side.
/// </summary>
internal sealed class StagingTableWriter(NpgsqlConnection connection, string schema, string table, ImportSchema columns)
{
    /// <summary>Features read before the table is created: their values choose its first column types.</summary>
    public const int SampleSize = 1000;

    // What the reading thread hands over at once, and how many such batches may wait: memory stays bounded by a few
    // batches however large the file, and small features cross threads a thousand at a time.
    private const int MaxBatchFeatures = 1024;
    private const long MaxBatchBytes = 4 * 1024 * 1024;
    private const int MaxBatchesWaiting = 1;

    private readonly string _table = $"{SqlIdentifier.Quote(schema)}.{SqlIdentifier.Quote(table)}";
    private readonly List<ImportColumn> _added = [];
    private readonly List<ImportColumn> _widened = [];
    private NpgsqlBinaryImporter? _copy;
    private bool _hasGeometry;

    public long Rows { get; private set; }

    public bool HasGeometry => _hasGeometry;

    /// <summary>
    /// Reads every feature of <paramref name="file"/> into the table, calling <paramref name="progress"/> with the rows
    /// written every few thousand rows. It runs on two threads of its own, not the pool's: both block for long
    /// stretches (one on the file, the other on PostgreSQL), which would starve the pool the rest of the worker needs.
    /// </summary>
    public Task WriteAsync(ImportFile file, Action<long> progress, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Write(file, progress, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private void Write(ImportFile file, Action<long> progress, CancellationToken cancellationToken)
    {
        using var batches = new BlockingCollection<List<Feature>>(MaxBatchesWaiting);
        var reading = Task.Factory.StartNew(() => ReadAll(file.Reader, batches, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            var sample = new List<Feature>();
            var created = false;
            foreach (var batch in batches.GetConsumingEnumerable(cancellationToken))
            {
                foreach (var feature in batch)
                {
                    var changed = columns.Observe(feature, file.Reader.Fields, _added, _widened, out var geometryChanged);
                    if (!created)
                    {
                        sample.Add(feature);
                        if (sample.Count < SampleSize)
                        {
                            continue;
                        }
                        Create(file, sample);
                        created = true;
                        continue;
                    }
                    if (changed)
                    {
                        Alter(geometryChanged);
                    }
                    WriteRow(feature);
                }
                progress(Rows);
            }
            // The reader's failure, if it failed: it ended the batches early.
            reading.GetAwaiter().GetResult();
            if (!created)
            {
                Create(file, sample);
            }
            _copy!.Complete();
            _copy.Dispose();
            _copy = null;
        }
        finally
        {
            // Disposing a COPY that was not completed cancels it; the caller's transaction then rolls everything back.
            _copy?.Dispose();
            // The reading thread stops at its next batch once no more are taken.
            batches.CompleteAdding();
            reading.ContinueWith(static task => task.Exception, TaskScheduler.Default).Wait(CancellationToken.None);
        }
    }

    /// <summary>The table, from the first features' columns, and the COPY into it, which starts with those features.</summary>
    private void Create(ImportFile file, List<Feature> sample)
    {
        _hasGeometry = file.Reader.GeometrySource is not null;
        var definitions = columns.Columns.Select(column => $"{SqlIdentifier.Quote(column.Name)} {ColumnTypes.SqlName(column.EffectiveType)}").ToList();
        if (_hasGeometry)
        {
            definitions.Add($"{ImportSchema.GeometryColumn} geometry({columns.Geometry.PostGisName}, 4326)");
        }
        Execute($"CREATE TABLE {_table} ({string.Join(", ", definitions)})");
        BeginCopy();
        foreach (var feature in sample)
        {
            WriteRow(feature);
        }
        sample.Clear();
    }

    /// <summary>Hands the features over in batches: a few thousand small ones, or one large enough to count alone.</summary>
    private static void ReadAll(IFeatureReader reader, BlockingCollection<List<Feature>> batches, CancellationToken cancellationToken)
    {
        try
        {
            var batch = new List<Feature>(MaxBatchFeatures);
            long bytes = 0;
            while (reader.TryRead(out var feature))
            {
                batch.Add(feature);
                bytes += feature.Geometry?.Ewkb.Length ?? 0;
                if (batch.Count == MaxBatchFeatures || bytes >= MaxBatchBytes)
                {
                    batches.Add(batch, cancellationToken);
                    batch = new List<Feature>(MaxBatchFeatures);
                    bytes = 0;
                }
            }
            if (batch.Count > 0)
            {
                batches.Add(batch, cancellationToken);
            }
        }
        catch (InvalidOperationException) when (batches.IsAddingCompleted)
        {
            // The writer stopped taking batches (it failed, or was cancelled): its reason is the one that counts.
        }
        finally
        {
            batches.CompleteAdding();
        }
    }

    private void BeginCopy()
    {
        var names = columns.Columns.Select(column => SqlIdentifier.Quote(column.Name)).ToList();
        if (_hasGeometry)
        {
            names.Add(ImportSchema.GeometryColumn);
        }
        _copy = connection.BeginBinaryImport($"COPY {_table} ({string.Join(", ", names)}) FROM STDIN (FORMAT BINARY)");
    }

    /// <summary>Pauses the COPY to add and widen columns, then goes on.</summary>
    private void Alter(bool geometryChanged)
    {
        _copy!.Complete();
        _copy.Dispose();
        _copy = null;
        var changes = new List<string>();
        foreach (var column in _added)
        {
            changes.Add($"ADD COLUMN {SqlIdentifier.Quote(column.Name)} {ColumnTypes.SqlName(column.EffectiveType)}");
        }
        foreach (var column in _widened)
        {
            var type = ColumnTypes.SqlName(column.EffectiveType);
            changes.Add($"ALTER COLUMN {SqlIdentifier.Quote(column.Name)} TYPE {type} USING {SqlIdentifier.Quote(column.Name)}::{type}");
        }
        if (geometryChanged && _hasGeometry)
        {
            var promote = columns.Geometry.PromoteToMulti ? $"ST_Multi({ImportSchema.GeometryColumn})" : ImportSchema.GeometryColumn;
            changes.Add($"ALTER COLUMN {ImportSchema.GeometryColumn} TYPE geometry({columns.Geometry.PostGisName}, 4326) USING {promote}");
        }
        Execute($"ALTER TABLE {_table} {string.Join(", ", changes)}");
        BeginCopy();
    }

    private void WriteRow(Feature feature)
    {
        Rows++;
        var copy = _copy!;
        copy.StartRow();
        var values = feature.Values;
        // By index: a foreach over the list's interface would allocate an enumerator for every row.
        var tableColumns = columns.Columns;
        for (var i = 0; i < tableColumns.Count; i++)
        {
            var column = tableColumns[i];
            var value = column.FieldIndex < values.Length ? values[column.FieldIndex] : FieldValue.Null;
            if (value.Kind == FieldKind.Null || (value.Kind == FieldKind.String && column.EffectiveType != ColumnType.Text && string.IsNullOrWhiteSpace(value.Text)))
            {
                copy.WriteNull();
                continue;
            }
            WriteValue(copy, column, value.Text!);
        }
        if (_hasGeometry)
        {
            if (feature.Geometry is { } geometry)
            {
                var ewkb = columns.Geometry.PromoteToMulti && geometry.Kind < WkbGeometryType.MultiPoint ? EwkbWriter.AsMulti(geometry.Ewkb, geometry.Kind) : geometry.Ewkb;
                copy.Write(ewkb, NpgsqlDbType.Bytea);
            }
            else
            {
                copy.WriteNull();
            }
        }
    }

    private void WriteValue(NpgsqlBinaryImporter copy, ImportColumn column, string text)
    {
        var invariant = CultureInfo.InvariantCulture;
        switch (column.EffectiveType)
        {
            case ColumnType.Text:
                copy.Write(text, NpgsqlDbType.Text);
                return;
            case ColumnType.Integer when int.TryParse(text, NumberStyles.AllowLeadingSign, invariant, out var number):
                copy.Write(number, NpgsqlDbType.Integer);
                return;
            case ColumnType.BigInt when long.TryParse(text, NumberStyles.AllowLeadingSign, invariant, out var number):
                copy.Write(number, NpgsqlDbType.Bigint);
                return;
            case ColumnType.Double when double.TryParse(text, NumberStyles.Float, invariant, out var number):
                copy.Write(number, NpgsqlDbType.Double);
                return;
            case ColumnType.Boolean when ColumnTypes.TryParseBoolean(text, out var flag):
                copy.Write(flag, NpgsqlDbType.Boolean);
                return;
            case ColumnType.Date when ColumnTypes.TryParseDate(text, out var date):
                copy.Write(date, NpgsqlDbType.Date);
                return;
            case ColumnType.Timestamp when ColumnTypes.TryParseTimestamp(text, out var timestamp):
                copy.Write(DateTime.SpecifyKind(timestamp, DateTimeKind.Unspecified), NpgsqlDbType.Timestamp);
                return;
            case var type:
                // Only a type the request named can refuse a value: inferred types widen to fit.
                throw new ImportFormatException(
                    $"the value '{Shorten(text)}' of column '{column.SourceName}' is not {ColumnTypes.SqlName(type)}, the type the import's schema gives it.",
                    $"feature {Rows}");
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private void Execute(string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
