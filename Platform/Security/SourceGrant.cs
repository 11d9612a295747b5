using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using CartoSelfHosted.Platform.Postgres;

namespace CartoSelfHosted.Platform.Security;

/// <summary>CARTO's names of the APIs an API access token may be allowed to call (its <c>allowed_apis</c>).</summary>
public static class CartoApis
{
    public const string Sql = "sql";
    public const string Maps = "maps";
    public const string Imports = "imports";
    public const string Lds = "lds";

    public static readonly IReadOnlyList<string> All = [Sql, Maps, Imports, Lds];
}

/// <summary>
/// One grant of an API access token, as CARTO shapes it: a connection and a source on it, which is <c>*</c> (everything on
/// the connection), <c>schema.*</c> (every table of a schema), a table (<c>table</c> in the organization's schema,
/// <c>schema.table</c> or <c>database.schema.table</c>, parts quoted or not as in SQL) or, when it does not read as a
/// name, a query that is granted as exactly this text.
/// </summary>
public sealed partial class SourceGrant(string connectionName, string source)
{
    public const string Everything = "*";

    // Read once: a grant is checked on every tile of its token's sources, and lives as long as the token's lookup.
    private readonly List<NamePart>? _tableParts = TableParts(source);

    [JsonPropertyName("connection_name")]
    public string ConnectionName { get; } = connectionName;

    [JsonPropertyName("source")]
    public string Source { get; } = source;

    /// <summary>Whether the grant lets a token read the query <paramref name="query"/> on the connection.</summary>
    public bool AllowsQuery(string connection, string query) =>
        ConnectionName == connection && (Source == Everything || Source == query);

    /// <summary>
    /// Whether the grant lets a token read the table <paramref name="schema"/>.<paramref name="table"/> on the
    /// connection: name parts as a request wrote them, or a table's catalog names as quoted parts. A table grant's
    /// unqualified name is in <paramref name="defaultSchema"/>, the connection's (the organization's own on the warehouse).
    /// </summary>
    public bool AllowsTable(string connection, NamePart schema, NamePart table, string defaultSchema)
    {
        if (ConnectionName != connection)
        {
            return false;
        }
        if (Source == Everything)
        {
            return true;
        }
        if (_tableParts is not { } parts)
        {
            return false;
        }
        if (parts[^1] is { Text: Everything, Quoted: false })
        {
            return SameName(parts[^2], schema);
        }
        var grantedSchema = parts.Count == 1 ? new NamePart(defaultSchema, Quoted: true) : parts[^2];
        return SameName(grantedSchema, schema) && SameName(parts[^1], table);

        static bool SameName(NamePart granted, NamePart asked) => granted.MayMeanTheSameAs(asked);
    }

    /// <summary>
    /// The parts of a table grant (<c>table</c>, <c>schema.table</c>, <c>database.schema.table</c>) or of a wildcard one
    /// (<c>schema.*</c>, <c>database.schema.*</c>); null for a query, whose text is granted as it is.
    /// </summary>
    private static List<NamePart>? TableParts(string? source)
    {
        // A body may leave the source out (the Tokens API refuses that grant): no parts then.
        if (source is null || QualifiedName.Split(source) is not { Count: >= 1 and <= 3 } parts)
        {
            return null;
        }
        for (var i = 0; i < parts.Count; i++)
        {
            var wildcard = i == parts.Count - 1 && i > 0 && parts[i] is { Text: Everything, Quoted: false };
            if (!parts[i].Quoted && !wildcard && !UnquotedName().IsMatch(parts[i].Text))
            {
                return null;
            }
        }
        return parts;
    }

    // Unquoted SQL identifiers, and the hyphens of the project names CARTO's fully qualified names begin with.
    [GeneratedRegex(@"^[\p{L}_][\p{L}\p{N}_$-]*$")]
    private static partial Regex UnquotedName();
}
