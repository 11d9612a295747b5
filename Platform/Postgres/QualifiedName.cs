using System.Text;

namespace CartoSelfHosted.Platform.Postgres;

/// <summary>
/// A part of a dotted SQL name as a person wrote it: double-quoted, it means exactly its text; unquoted, PostgreSQL folds
/// it to lower case, and a table made with a quoted mixed-case name is still found by its exact text.
/// </summary>
public readonly record struct NamePart(string Text, bool Quoted)
{
    /// <summary>The catalog names the part may mean: its text, and its lower case when unquoted.</summary>
    public string[] Spellings => Quoted || Text == Text.ToLowerInvariant() ? [Text] : [Text, Text.ToLowerInvariant()];

    /// <summary>Whether the two parts may mean the same catalog name: one of each one's spellings is the same.</summary>
    public bool MayMeanTheSameAs(NamePart other) =>
        Text == other.Text
        || !other.Quoted && Text == other.Text.ToLowerInvariant()
        || !Quoted && Text.ToLowerInvariant() == other.Text
        || !Quoted && !other.Quoted && Text.ToLowerInvariant() == other.Text.ToLowerInvariant();
}

/// <summary>Reads dotted SQL names (<c>table</c>, <c>schema.table</c>, <c>"My schema".table</c>) without any SQL parser.</summary>
public static class QualifiedName
{
    /// <summary>The dot-separated parts of a name, double quotes honoured (<c>""</c> is a quote); null when malformed.</summary>
    public static List<NamePart>? Split(string name)
    {
        var parts = new List<NamePart>();
        var current = new StringBuilder();
        var quoted = false;
        var inQuotes = false;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (inQuotes)
            {
                if (c != '"')
                {
                    current.Append(c);
                }
                else if (i + 1 < name.Length && name[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else
                {
                    inQuotes = false;
                }
            }
            else if (c == '"' && current.Length == 0 && !quoted)
            {
                inQuotes = quoted = true;
            }
            else if (c == '.')
            {
                if (current.Length == 0)
                {
                    return null;
                }
                parts.Add(new NamePart(current.ToString(), quoted));
                current.Clear();
                quoted = false;
            }
            else if (quoted || c == '"')
            {
                return null;
            }
            else
            {
                current.Append(c);
            }
        }
        if (inQuotes || current.Length == 0)
        {
            return null;
        }
        parts.Add(new NamePart(current.ToString(), quoted));
        return parts;
    }
}
