using System.Security.Claims;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>
/// What an API access token may read, by CARTO's grants: a table needs a grant of itself, of its schema (<c>schema.*</c>)
/// or of everything (<c>*</c>) on the connection; a query needs a grant of exactly its text, or <c>*</c>. Any other token
/// reads what its organization may. Each check is null when allowed, else the 403 problem to answer.
/// </summary>
public static class SourceAccess
{
    /// <summary>A table as the request named it, checked before it is looked up, so a refused token learns nothing of what exists.</summary>
    public static IResult? CheckTableName(ClaimsPrincipal user, DataConnection connection, string name) =>
        CheckTable(user, connection, MapSourceResolver.ParseTableName(name, connection.DefaultSchema), $"the table '{name}'");

    /// <summary>A table as the catalog names it.</summary>
    public static IResult? CheckTable(ClaimsPrincipal user, DataConnection connection, SourceTable table) =>
        CheckTable(user, connection, (new NamePart(table.Schema, Quoted: true), new NamePart(table.Table, Quoted: true)),
            $"the table '{table.Schema}.{table.Table}'");

    public static IResult? CheckQuery(ClaimsPrincipal user, DataConnection connection, string query) =>
        user.GetSourceGrants() is not { } grants || grants.Any(grant => grant.AllowsQuery(connection.Name, query))
            ? null
            : NotGranted("this query", connection.Name);

    /// <summary>An instantiated source: its TileJSON, tiles and GeoJSON need what its instantiation needed.</summary>
    public static IResult? Check(ClaimsPrincipal user, DataConnection connection, MapSource source) => source.Table is { } table
        ? CheckTable(user, connection, table)
        : CheckQuery(user, connection, source.Query!);

    /// <summary>A name that is no table's (<paramref name="parts"/> null) is granted to no API access token.</summary>
    private static IResult? CheckTable(ClaimsPrincipal user, DataConnection connection, (NamePart Schema, NamePart Table)? parts, string what)
    {
        if (user.GetSourceGrants() is not { } grants)
        {
            return null;
        }
        return parts is var (schema, table) && grants.Any(grant => grant.AllowsTable(connection.Name, schema, table, connection.DefaultSchema))
            ? null
            : NotGranted(what, connection.Name);
    }

    private static IResult NotGranted(string what, string connection) => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden,
        type: ProblemTypes.Forbidden, title: "Source not granted",
        detail: $"The access token is not granted {what} on the connection '{connection}'.");
}
