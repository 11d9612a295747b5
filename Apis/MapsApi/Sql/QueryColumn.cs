using CartoSelfHosted.Platform.Warehouse;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Sql;

public enum ColumnKind { Boolean, Integer, BigInteger, Double, Text, Uuid, Date, Timestamp, Json, Geometry, Bytes, Other }

/// <summary>A result column: how its values are read and written, and its type as CARTO's clients name them.</summary>
public sealed record QueryColumn(string Name, ColumnKind Kind, string DatabaseType)
{
    /// <summary>CARTO's schema type (<c>SchemaFieldType</c> of <c>@carto/api-client</c>).</summary>
    public string SchemaType => Kind switch
    {
        ColumnKind.Boolean => "boolean",
        ColumnKind.Integer or ColumnKind.Double => "number",
        ColumnKind.BigInteger => "bigint",
        ColumnKind.Text or ColumnKind.Uuid or ColumnKind.Bytes => "string",
        ColumnKind.Date or ColumnKind.Timestamp => "timestamp",
        ColumnKind.Json => "object",
        ColumnKind.Geometry => "geometry",
        _ => "variant",
    };

    /// <summary>A column known by its CARTO schema type only (as a source keeps it), with the kind that type stands for.</summary>
    public static QueryColumn OfSchemaType(string name, string schemaType) => new(name, schemaType switch
    {
        "boolean" => ColumnKind.Boolean,
        "number" => ColumnKind.Double,
        "bigint" => ColumnKind.BigInteger,
        "string" => ColumnKind.Text,
        "timestamp" => ColumnKind.Timestamp,
        "object" => ColumnKind.Json,
        "geometry" => ColumnKind.Geometry,
        _ => ColumnKind.Other,
    }, schemaType);

    /// <summary>The result's columns, before any row is read. Null, with a reason, when one has a type the API cannot return.</summary>
    public static (QueryColumn[]? Columns, string? Error) Describe(NpgsqlDataReader reader)
    {
        var columns = new QueryColumn[reader.FieldCount];
        for (var ordinal = 0; ordinal < columns.Length; ordinal++)
        {
            if (TryDescribe(reader, ordinal) is not { } column)
            {
                return (null, $"Column '{reader.GetName(ordinal)}' is of type {reader.GetPostgresType(ordinal).DisplayName}, which the SQL API cannot return: cast it, for example to text.");
            }
            columns[ordinal] = column;
        }
        return (columns, null);
    }

    /// <summary>One result column; null when its type is one the API cannot read.</summary>
    public static QueryColumn? TryDescribe(NpgsqlDataReader reader, int ordinal)
    {
        var type = reader.GetPostgresType(ordinal);
        var kind = type.InternalName switch
        {
            "bool" => ColumnKind.Boolean,
            "int2" or "int4" => ColumnKind.Integer,
            "int8" => ColumnKind.BigInteger,
            "float4" or "float8" or "numeric" => ColumnKind.Double,
            "text" or "varchar" or "bpchar" or "name" or "char" or "citext" => ColumnKind.Text,
            "uuid" => ColumnKind.Uuid,
            "date" => ColumnKind.Date,
            "timestamp" or "timestamptz" => ColumnKind.Timestamp,
            "json" or "jsonb" => ColumnKind.Json,
            "bytea" => ColumnKind.Bytes,
            var name when PostGisWkb.IsSpatialType(name) => ColumnKind.Geometry,
            _ => ColumnKind.Other,
        };
        return kind == ColumnKind.Other && !CanRead(reader, ordinal) ? null : new QueryColumn(reader.GetName(ordinal), kind, type.DisplayName);
    }

    private static bool CanRead(NpgsqlDataReader reader, int ordinal)
    {
        try
        {
            return reader.GetFieldType(ordinal) != typeof(object);
        }
        catch (NotSupportedException)
        {
            return false;
        }
        catch (InvalidCastException)
        {
            return false;
        }
    }
}
