namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// The surrogate keys (Varnish xkey) cached answers carry and cdn-invalidator purges by. A key never holds
/// whitespace or commas (xkey's separators): names are percent-encoded.
/// </summary>
public static class SurrogateKeys
{
    /// <summary>Every cached answer of a connection.</summary>
    public static string Connection(string connection) => "conn:" + Uri.EscapeDataString(connection);

    /// <summary>An organization's SQL answers: a query's answer is not tied to the tables it reads, so any change of the organization's data purges them.</summary>
    public static string OrganizationQueries(string organizationSlug) => "sql:" + Uri.EscapeDataString(organizationSlug);

    /// <summary>An organization's catalog of one connection (workspace-api's listings of its schemas and tables).</summary>
    public static string Catalog(Guid organizationId, string connection) => $"catalog:{organizationId:N}:{Uri.EscapeDataString(connection)}";

    /// <summary>Answers made from one table (tiles, TileJSON).</summary>
    public static string Table(string connection, string schema, string table) =>
        $"table:{Uri.EscapeDataString(connection)}:{Uri.EscapeDataString(schema)}.{Uri.EscapeDataString(table)}";
}
