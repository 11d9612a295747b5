using System.Globalization;
using System.Text;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// Turns the names a file gives its columns into PostgreSQL identifiers that need no quoting and cannot clash: lower
/// case ASCII letters, digits and underscores, starting with a letter or an underscore, at most 63 bytes, no reserved
/// key word or system column name, each one distinct from the others and from the names already <paramref name="taken"/>.
/// </summary>
public sealed class ColumnNamer(IEnumerable<string> taken)
{
    private readonly HashSet<string> _taken = new(taken, StringComparer.Ordinal);

    /// <summary>The identifier for the column the file calls <paramref name="sourceName"/>, now taken.</summary>
    public string Add(string sourceName)
    {
        var name = Identifier(sourceName, "column");
        var unique = name;
        for (var number = 1; !_taken.Add(unique); number++)
        {
            var suffix = "_" + number.ToString(CultureInfo.InvariantCulture);
            unique = name[..Math.Min(name.Length, MaxIdentifierLength - suffix.Length)] + suffix;
        }
        return unique;
    }

    /// <summary>
    /// The table name for an uploaded file: its name without its extensions (<c>counties.shp.zip</c> →
    /// <c>counties</c>), made an identifier as column names are.
    /// </summary>
    public static string TableName(string fileName)
    {
        var name = Path.GetFileName(fileName.Replace('\\', '/'));
        // The last extension always goes; the ones before it only when they name a format or a compression, so that
        // "report.2024.csv" keeps its year.
        name = Path.GetFileNameWithoutExtension(name);
        while (FileExtensions.Contains(Path.GetExtension(name)))
        {
            name = Path.GetFileNameWithoutExtension(name);
        }
        return Identifier(name, "import");
    }

    /// <summary>PostgreSQL's NAMEDATALEN - 1: longer identifiers are cut, silently, by PostgreSQL.</summary>
    private const int MaxIdentifierLength = 63;

    private static string Identifier(string sourceName, string fallback)
    {
        var source = sourceName.AsSpan().Trim();
        var name = new StringBuilder(Math.Min(source.Length, MaxIdentifierLength) + 2);
        foreach (var c in source)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                name.Append(char.ToLowerInvariant(c));
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
            {
                // A combining accent written apart from its letter: dropped, as the folding below drops composed ones.
            }
            else if (FoldToAscii(c) is { } folded)
            {
                name.Append(folded);
            }
            else if (name.Length == 0 || name[^1] != '_')
            {
                name.Append('_');
            }
        }
        // Underscores that stand for spaces or punctuation at the ends are trimmed; the file's own are kept ("_id").
        // Runs are collapsed already, so there is at most one at each end.
        if (name.Length > 0 && name[^1] == '_' && !source.EndsWith('_'))
        {
            name.Length--;
        }
        var identifier = name.Length > 0 && name[0] == '_' && !source.StartsWith('_') ? name.ToString(1, name.Length - 1) : name.ToString();
        if (identifier.Length == 0)
        {
            return fallback;
        }
        if (char.IsAsciiDigit(identifier[0]))
        {
            identifier = "_" + identifier;
        }
        if (identifier.Length > MaxIdentifierLength)
        {
            identifier = identifier[..MaxIdentifierLength];
        }
        return ReservedNames.Contains(identifier) ? identifier + "_" : identifier;
    }

    /// <summary>
    /// The ASCII letters for a Latin letter with diacritics (Latin-1 Supplement and Latin Extended-A), lower case.
    /// Not Unicode normalization: the platform runs with invariant globalization, where string.Normalize does nothing.
    /// </summary>
    private static string? FoldToAscii(char c)
    {
        switch (c)
        {
            case 'Æ' or 'æ':
                return "ae";
            case 'Œ' or 'œ':
                return "oe";
            case 'Þ' or 'þ':
                return "th";
            case 'ß':
                return "ss";
            case 'Ĳ' or 'ĳ':
                return "ij";
        }
        var index = c - FoldedFirst;
        if ((uint)index >= (uint)Folded.Length || Folded[index] == '_')
        {
            return null;
        }
        return FoldedLetters[Folded[index] - 'a'];
    }

    private const char FoldedFirst = '\u00C0';

    /// <summary>U+00C0 to U+017F, each as its base letter; '_' where there is none (×, ÷) or it takes two (above).</summary>
    private const string Folded =
        "aaaaaa_ceeeeiiiidnooooo_ouuuuy__aaaaaa_ceeeeiiiidnooooo_ouuuuy_y" +
        "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii__jjkkklllllll" +
        "lllnnnnnnnnnoooooo__rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

    private static readonly string[] FoldedLetters = [.. Enumerable.Range('a', 26).Select(letter => ((char)letter).ToString())];

    /// <summary>
    /// PostgreSQL 15's key words that cannot name a column unquoted: those marked "reserved" in the SQL Key Words
    /// appendix, and those marked "reserved (can be function or type)" (LEFT, JOIN, LIKE…), which cannot either; with
    /// system_user, reserved since PostgreSQL 16. Then the system columns every table has.
    /// </summary>
    private static readonly HashSet<string> ReservedNames = new(StringComparer.Ordinal)
    {
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check",
        "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role", "current_time",
        "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except",
        "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
        "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or", "order",
        "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric", "system_user",
        "table", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
        "window", "with",

        "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full", "ilike",
        "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps", "right", "similar",
        "tablesample", "verbose",

        "oid", "tableoid", "xmin", "xmax", "cmin", "cmax", "ctid",
    };

    /// <summary>Extensions of the formats an import reads and of the archives and compressions they come in.</summary>
    private static readonly HashSet<string> FileExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".csv", ".tsv", ".txt", ".json", ".geojson", ".geojsonl", ".geojsons", ".geojsonseq", ".ndjson", ".jsonl",
        ".shp", ".dbf", ".kml", ".kmz", ".gpx", ".gpkg", ".fgb", ".parquet", ".geoparquet", ".xls", ".xlsx", ".topojson",
        ".zip", ".gz", ".gzip", ".bz2", ".xz", ".zst", ".7z", ".tar", ".tgz",
    };
}
