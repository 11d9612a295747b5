namespace CartoSelfHosted.Platform.Imports;

/// <summary>The names a request may give a column type (<c>schema</c> of an import).</summary>
public static class ColumnTypeNames
{
    public static bool TryParse(string name, out ColumnType type)
    {
        ColumnType? parsed = name.Trim().ToLowerInvariant() switch
        {
            "boolean" or "bool" => ColumnType.Boolean,
            "integer" or "int" or "int4" => ColumnType.Integer,
            "bigint" or "int8" => ColumnType.BigInt,
            "double" or "double precision" or "float" or "float8" or "number" or "numeric" => ColumnType.Double,
            "date" => ColumnType.Date,
            "timestamp" or "datetime" => ColumnType.Timestamp,
            "text" or "string" => ColumnType.Text,
            _ => null,
        };
        type = parsed ?? default;
        return parsed is not null;
    }

    public const string Accepted = "boolean, integer, bigint, double, date, timestamp, text";
}
