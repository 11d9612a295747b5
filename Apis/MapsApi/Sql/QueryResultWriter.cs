using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Geometry;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>
/// Writes a result to the response as PostgreSQL produces it, one row at a time: what is held is at most one row
/// and a flush's worth of bytes, whatever the size of the result.
/// </summary>
public abstract class QueryResultWriter
{
    /// <summary>Rows are flushed to the client once this much is waiting.</summary>
    protected const int FlushThreshold = 64 * 1024;

    public const string Json = "json";
    public const string GeoJson = "geojson";
    public const string Csv = "csv";

    public static IReadOnlyList<string> Formats { get; } = [Json, GeoJson, Csv];

    public abstract string ContentType { get; }

    /// <summary>Null, with a reason, when the result cannot be written in the format (GeoJSON without a geometry).</summary>
    public static (QueryResultWriter? Writer, string? Error) Create(string format, PipeWriter output, QueryColumn[] columns) => format switch
    {
        Json => (new JsonResultWriter(output, columns), null),
        GeoJson => Array.FindIndex(columns, column => column.Kind == ColumnKind.Geometry) is var geometry and >= 0
            ? (new GeoJsonResultWriter(output, columns, geometry), null)
            : (null, "format=geojson needs a geometry or geography column in the result."),
        Csv => (new CsvResultWriter(output, columns), null),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public abstract void WriteStart();

    public abstract void WriteRow(NpgsqlDataReader reader);

    public abstract void WriteEnd(long rowCount, bool truncated, int rowLimit);

    /// <summary>Sends what is waiting when there is enough of it (or <paramref name="force"/>).</summary>
    public abstract ValueTask FlushAsync(bool force, CancellationToken cancellationToken);

    /// <summary>A double as PostgreSQL spells it, NaN and infinities included (JSON numbers have neither).</summary>
    protected static string Text(double number) => number switch
    {
        double.PositiveInfinity => "Infinity",
        double.NegativeInfinity => "-Infinity",
        _ => number.ToString("R", CultureInfo.InvariantCulture),
    };
}

/// <summary>CARTO's shape: <c>{"schema": [...], "rows": [...], "meta": {...}}</c>; geometries as GeoJSON objects.</summary>
internal class JsonResultWriter(PipeWriter output, QueryColumn[] columns) : QueryResultWriter
{
    protected readonly Utf8JsonWriter Writer = new(output, new JsonWriterOptions { SkipValidation = true });
    protected readonly QueryColumn[] Columns = columns;

    // Encoded once, not checked for escaping on every row.
    protected readonly JsonEncodedText[] Names = Array.ConvertAll(columns, column => JsonEncodedText.Encode(column.Name));

    public override string ContentType => "application/json; charset=utf-8";

    public override void WriteStart()
    {
        Writer.WriteStartObject();
        Writer.WritePropertyName("schema"u8);
        Writer.WriteStartArray();
        foreach (var column in Columns)
        {
            Writer.WriteStartObject();
            Writer.WriteString("name"u8, column.Name);
            Writer.WriteString("type"u8, column.SchemaType);
            Writer.WriteEndObject();
        }
        Writer.WriteEndArray();
        Writer.WritePropertyName("rows"u8);
        Writer.WriteStartArray();
    }

    public override void WriteRow(NpgsqlDataReader reader) => WriteObject(reader, except: -1);

    /// <summary>Ends the rows (or features) and adds <c>meta</c>; in GeoJSON a foreign member (RFC 7946 §6.1).</summary>
    public override void WriteEnd(long rowCount, bool truncated, int rowLimit)
    {
        Writer.WriteEndArray();
        Writer.WritePropertyName("meta"u8);
        Writer.WriteStartObject();
        Writer.WriteNumber("rowCount"u8, rowCount);
        Writer.WriteBoolean("truncated"u8, truncated);
        Writer.WriteNumber("rowLimit"u8, rowLimit);
        Writer.WriteEndObject();
        Writer.WriteEndObject();
    }

    /// <summary>The row's columns as an object's members, but the one at <paramref name="except"/>.</summary>
    protected void WriteObject(NpgsqlDataReader reader, int except)
    {
        Writer.WriteStartObject();
        for (var ordinal = 0; ordinal < Columns.Length; ordinal++)
        {
            if (ordinal != except)
            {
                Writer.WritePropertyName(Names[ordinal]);
                WriteValue(reader, ordinal);
            }
        }
        Writer.WriteEndObject();
    }

    public override async ValueTask FlushAsync(bool force, CancellationToken cancellationToken)
    {
        if (force || Writer.BytesPending >= FlushThreshold)
        {
            Writer.Flush();
            await output.FlushAsync(cancellationToken);
        }
    }

    protected void WriteValue(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            Writer.WriteNullValue();
            return;
        }
        switch (Columns[ordinal].Kind)
        {
            case ColumnKind.Boolean:
                Writer.WriteBooleanValue(reader.GetBoolean(ordinal));
                break;
            case ColumnKind.Integer:
                Writer.WriteNumberValue(reader.GetFieldValue<int>(ordinal));
                break;
            case ColumnKind.BigInteger:
                Writer.WriteNumberValue(reader.GetInt64(ordinal));
                break;
            case ColumnKind.Double:
                var number = reader.GetDouble(ordinal);
                // JSON has no NaN or infinity: they travel as PostgreSQL spells them.
                if (double.IsFinite(number))
                {
                    Writer.WriteNumberValue(number);
                }
                else
                {
                    Writer.WriteStringValue(Text(number));
                }
                break;
            case ColumnKind.Text:
                Writer.WriteStringValue(reader.GetString(ordinal));
                break;
            case ColumnKind.Uuid:
                Writer.WriteStringValue(reader.GetGuid(ordinal));
                break;
            case ColumnKind.Date:
                Writer.WriteStringValue(reader.GetFieldValue<DateOnly>(ordinal).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case ColumnKind.Timestamp:
                Writer.WriteStringValue(reader.GetDateTime(ordinal));
                break;
            case ColumnKind.Json:
                Writer.WriteRawValue(reader.GetString(ordinal), skipInputValidation: true);
                break;
            case ColumnKind.Geometry:
                Ewkb.WriteGeoJson(Writer, reader.GetFieldValue<byte[]>(ordinal));
                break;
            case ColumnKind.Bytes:
                Writer.WriteBase64StringValue(reader.GetFieldValue<byte[]>(ordinal));
                break;
            default:
                JsonSerializer.Serialize(Writer, reader.GetValue(ordinal), JsonSerializerOptions.Web);
                break;
        }
    }
}

/// <summary>A FeatureCollection (RFC 7946): the first geometry column is each feature's geometry, the others its properties.</summary>
internal sealed class GeoJsonResultWriter(PipeWriter output, QueryColumn[] columns, int geometryOrdinal) : JsonResultWriter(output, columns)
{
    public override string ContentType => "application/geo+json; charset=utf-8";

    public override void WriteStart()
    {
        Writer.WriteStartObject();
        Writer.WriteString("type"u8, "FeatureCollection");
        Writer.WritePropertyName("features"u8);
        Writer.WriteStartArray();
    }

    public override void WriteRow(NpgsqlDataReader reader)
    {
        Writer.WriteStartObject();
        Writer.WriteString("type"u8, "Feature");
        Writer.WritePropertyName("geometry"u8);
        WriteValue(reader, geometryOrdinal);
        Writer.WritePropertyName("properties"u8);
        WriteObject(reader, except: geometryOrdinal);
        Writer.WriteEndObject();
    }
}

/// <summary>RFC 4180 CSV with a header row; geometries as hex EWKB, as PostgreSQL writes them; no in-band meta.</summary>
internal sealed class CsvResultWriter(PipeWriter output, QueryColumn[] columns) : QueryResultWriter
{
    private readonly StringBuilder _pending = new();

    public override string ContentType => "text/csv; charset=utf-8";

    public override void WriteStart()
    {
        for (var ordinal = 0; ordinal < columns.Length; ordinal++)
        {
            AppendSeparator(ordinal);
            AppendField(columns[ordinal].Name);
        }
        _pending.Append("\r\n");
    }

    public override void WriteRow(NpgsqlDataReader reader)
    {
        for (var ordinal = 0; ordinal < columns.Length; ordinal++)
        {
            AppendSeparator(ordinal);
            if (reader.IsDBNull(ordinal))
            {
                continue;
            }
            AppendField(columns[ordinal].Kind switch
            {
                ColumnKind.Boolean => reader.GetBoolean(ordinal) ? "true" : "false",
                ColumnKind.Integer => reader.GetFieldValue<int>(ordinal).ToString(CultureInfo.InvariantCulture),
                ColumnKind.BigInteger => reader.GetInt64(ordinal).ToString(CultureInfo.InvariantCulture),
                ColumnKind.Double => Text(reader.GetDouble(ordinal)),
                ColumnKind.Text or ColumnKind.Json => reader.GetString(ordinal),
                ColumnKind.Uuid => reader.GetGuid(ordinal).ToString(),
                ColumnKind.Date => reader.GetFieldValue<DateOnly>(ordinal).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ColumnKind.Timestamp => reader.GetDateTime(ordinal).ToString("O", CultureInfo.InvariantCulture),
                ColumnKind.Geometry => Convert.ToHexString(reader.GetFieldValue<byte[]>(ordinal)),
                ColumnKind.Bytes => "\\x" + Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(ordinal)),
                _ => JsonSerializer.Serialize(reader.GetValue(ordinal), JsonSerializerOptions.Web),
            });
        }
        _pending.Append("\r\n");
    }

    /// <summary>CSV has no place for meta: a result cut at the row limit has exactly that many rows (X-Row-Limit says it).</summary>
    public override void WriteEnd(long rowCount, bool truncated, int rowLimit)
    {
    }

    public override async ValueTask FlushAsync(bool force, CancellationToken cancellationToken)
    {
        if (force || _pending.Length >= FlushThreshold)
        {
            foreach (var chunk in _pending.GetChunks())
            {
                Encoding.UTF8.GetBytes(chunk.Span, output);
            }
            _pending.Clear();
            await output.FlushAsync(cancellationToken);
        }
    }

    private void AppendSeparator(int ordinal)
    {
        if (ordinal > 0)
        {
            _pending.Append(',');
        }
    }

    private void AppendField(string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            _pending.Append(value);
            return;
        }
        _pending.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
    }
}
