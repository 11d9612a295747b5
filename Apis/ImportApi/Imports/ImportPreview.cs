using System.Globalization;
using System.Text.Json;
using CartoSelfHosted.Platform.Geometry;
using CartoSelfHosted.Platform.Imports;

namespace CartoSelfHosted.ImportApi.Imports;

/// <summary>What an import of a file would make, read from its first features without writing anything.</summary>
public sealed record ImportPreview(
    string Format,
    string? GeometrySource,
    string? GeometryType,
    IReadOnlyList<ImportedColumnPreview> Columns,
    IReadOnlyList<Dictionary<string, JsonElement>> Rows,
    int FeaturesRead,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Features whose values decide the preview's column types.</summary>
    public const int SampledFeatures = 1000;

    /// <summary>Features shown.</summary>
    public const int ShownRows = 10;

    public static ImportPreview Read(string path, string fileName, string workFolder, bool autoguessing, ImportOptions options,
        CancellationToken cancellationToken)
    {
        using var file = ImportFile.Open(path, fileName, workFolder, options, cancellationToken);
        var schema = new ImportSchema(autoguessing);
        List<ImportColumn> added = [], widened = [];
        var shown = new List<Feature>();
        var read = 0;
        while (read < SampledFeatures && file.Reader.TryRead(out var feature))
        {
            read++;
            schema.Observe(feature, file.Reader.Fields, added, widened, out _);
            if (shown.Count < ShownRows)
            {
                shown.Add(feature);
            }
        }
        var rows = shown.Select(feature => Row(feature, schema)).ToList();
        return new ImportPreview(file.FormatName, file.Reader.GeometrySource,
            schema.Geometry.Kind is null ? null : schema.Geometry.PostGisName,
            schema.Columns.Select(column => new ImportedColumnPreview(column.Name, column.SourceName, ColumnTypes.SqlName(column.EffectiveType))).ToList(),
            rows, read, file.Warnings);
    }

    private static Dictionary<string, JsonElement> Row(Feature feature, ImportSchema schema)
    {
        var row = new Dictionary<string, JsonElement>();
        foreach (var column in schema.Columns)
        {
            var value = column.FieldIndex < feature.Values.Length ? feature.Values[column.FieldIndex] : FieldValue.Null;
            row[column.Name] = value.Kind switch
            {
                FieldKind.Null => default,
                FieldKind.Number or FieldKind.Boolean or FieldKind.Json => JsonSerializer.Deserialize<JsonElement>(value.Text!),
                // Text (CSV) shown as the column will hold it: a number or a boolean, not its characters.
                _ when column.EffectiveType is ColumnType.Integer or ColumnType.BigInt or ColumnType.Double
                    && double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) =>
                    JsonSerializer.SerializeToElement(number),
                _ when column.EffectiveType is ColumnType.Boolean && ColumnTypes.TryParseBoolean(value.Text!, out var flag) =>
                    JsonSerializer.SerializeToElement(flag),
                _ => JsonSerializer.SerializeToElement(value.Text),
            };
        }
        if (feature.Geometry is { } geometry)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Ewkb.WriteGeoJson(writer, geometry.Ewkb);
            }
            row[ImportSchema.GeometryColumn] = JsonSerializer.Deserialize<JsonElement>(buffer.ToArray());
        }
        return row;
    }
}

public sealed record ImportedColumnPreview(string Name, string SourceName, string Type);
