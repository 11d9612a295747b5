
namespace CartoSelfHosted.Platform.Imports;

/// <summary>The kinds of file an import reads.</summary>
public enum FileFormat
{
    Csv,
    GeoJson,
    GeoJsonSeq,
    TopoJson,
    Zip,
    GeoPackage,
    Kml,
}

/// <summary>
/// Tells a file's format from its first bytes, and checks that its name does not say otherwise: a file whose
/// extension lies about its content is refused with both named, rather than read as something it is not.
/// </summary>
public static class FileFormats
{
    /// <summary>How many bytes <see cref="Detect"/> looks at.</summary>
    public const int HeadLength = 64 * 1024;

    private static readonly Dictionary<string, FileFormat> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".csv"] = FileFormat.Csv,
        [".tsv"] = FileFormat.Csv,
        [".txt"] = FileFormat.Csv,
        [".geojson"] = FileFormat.GeoJson,
        [".json"] = FileFormat.GeoJson,
        [".geojsonl"] = FileFormat.GeoJsonSeq,
        [".geojsons"] = FileFormat.GeoJsonSeq,
        [".geojsonseq"] = FileFormat.GeoJsonSeq,
        [".ndjson"] = FileFormat.GeoJsonSeq,
        [".jsonl"] = FileFormat.GeoJsonSeq,
        [".topojson"] = FileFormat.TopoJson,
        [".zip"] = FileFormat.Zip,
        [".kmz"] = FileFormat.Zip,
        [".gpkg"] = FileFormat.GeoPackage,
        [".kml"] = FileFormat.Kml,
    };

    public static string Describe(FileFormat format) => format switch
    {
        FileFormat.Csv => "CSV text",
        FileFormat.GeoJson => "GeoJSON",
        FileFormat.GeoJsonSeq => "newline-delimited GeoJSON",
        FileFormat.TopoJson => "TopoJSON",
        FileFormat.Zip => "a ZIP archive",
        FileFormat.GeoPackage => "a GeoPackage (SQLite) database",
        FileFormat.Kml => "KML",
        _ => format.ToString(),
    };

    /// <summary>The format of a file that starts with <paramref name="head"/>, named <paramref name="fileName"/>.</summary>
    /// <exception cref="ImportFormatException">The file is empty, binary of an unknown kind, or its name says another format.</exception>
    public static FileFormat Detect(ReadOnlySpan<byte> head, string fileName)
    {
        var content = FromContent(head);
        var extension = Path.GetExtension(fileName);
        if (extension.Equals(".shp", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImportFormatException("a Shapefile is several files (.shp, .shx, .dbf, .prj): upload them together in one .zip.");
        }
        if (ByExtension.TryGetValue(extension, out var named) && Family(named) != Family(content))
        {
            throw new ImportFormatException(
                $"the file is named '{Path.GetFileName(fileName)}', which says {Describe(named)}, but its content is {Describe(content)}.");
        }
        return content;
    }

    // GeoJSON, its newline-delimited form and TopoJSON share a family: a .json file may be any of them.
    private static FileFormat Family(FileFormat format) => format is FileFormat.GeoJsonSeq or FileFormat.TopoJson ? FileFormat.GeoJson : format;

    private static FileFormat FromContent(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("PK\x03\x04"u8))
        {
            return FileFormat.Zip;
        }
        if (head.StartsWith("SQLite format 3\0"u8))
        {
            return FileFormat.GeoPackage;
        }
        var text = head.StartsWith("\xEF\xBB\xBF"u8) ? head[3..] : head;
        var start = 0;
        while (start < text.Length && text[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0x1E)
        {
            start++;
        }
        if (start == text.Length)
        {
            throw new ImportFormatException("the file is empty.");
        }
        if (text.Contains((byte)0))
        {
            throw new ImportFormatException("the file is binary, and not a ZIP archive or a GeoPackage: it is not a format the platform imports (CSV, GeoJSON, zipped Shapefile, GeoPackage, KML, KMZ).");
        }
        text = text[start..];
        if (text[0] == (byte)'<')
        {
            return text.IndexOf("<kml"u8) >= 0
                ? FileFormat.Kml
                : throw new ImportFormatException("the file is XML but not KML.");
        }
        if (text[0] is (byte)'{' or (byte)'[')
        {
            return IsTopology(text) ? FileFormat.TopoJson : IsOneObjectPerLine(text) ? FileFormat.GeoJsonSeq : FileFormat.GeoJson;
        }
        return FileFormat.Csv;
    }

    /// <summary>True when the document's type is <c>Topology</c>: TopoJSON, whose shapes are arcs shared between features.</summary>
    private static bool IsTopology(ReadOnlySpan<byte> text)
    {
        for (var at = text.IndexOf("\"type\""u8); at >= 0; at = Next(text, at))
        {
            var value = text[(at + 6)..].TrimStart(" \t\r\n"u8);
            if (value.Length > 0 && value[0] == (byte)':' && value[1..].TrimStart(" \t\r\n"u8).StartsWith("\"Topology\""u8))
            {
                return true;
            }
        }
        return false;

        static int Next(ReadOnlySpan<byte> text, int at) => text[(at + 1)..].IndexOf("\"type\""u8) is var next and >= 0 ? at + 1 + next : -1;
    }

    /// <summary>True when the first line holds one whole JSON object and the next record starts another.</summary>
    private static bool IsOneObjectPerLine(ReadOnlySpan<byte> text)
    {
        var depth = 0;
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (inString)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
                continue;
            }
            switch (b)
            {
                case (byte)'"':
                    inString = true;
                    break;
                case (byte)'{' or (byte)'[':
                    depth++;
                    break;
                case (byte)'}' or (byte)']':
                    depth--;
                    break;
                case (byte)'\n':
                    if (depth != 0)
                    {
                        return false;
                    }
                    var rest = text[(i + 1)..].TrimStart(" \t\r\n\x1E"u8);
                    return rest.Length > 0 && rest[0] == (byte)'{';
            }
        }
        return false;
    }
}
