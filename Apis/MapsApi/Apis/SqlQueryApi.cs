using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>
/// CARTO's synchronous SQL API: one read-only statement of the caller's, run as the caller's organization, its rows
/// streamed back as JSON (CARTO's shape), GeoJSON or CSV. GET answers are cacheable; POST (for long SQL) is not.
/// </summary>
public static class SqlQueryApi
{
    public static IEndpointRouteBuilder MapSqlQueryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/sql/{connection}/query");
        api.MapGet("", QueryByGet);
        api.MapPost("", QueryByPost);
        return app;
    }

    public static Task<IResult> QueryByGet(string connection, string? q, string? queryParameters, string? format, ClaimsPrincipal user,
        SqlQueryRunner runner, CancellationToken cancellationToken) =>
        RunAsync(connection, q, QueryParameters.Parse(queryParameters), format, cacheable: true, user, runner, cancellationToken);

    public static Task<IResult> QueryByPost(string connection, [FromBody] SqlQueryBody body, [FromQuery] string? format, ClaimsPrincipal user,
        SqlQueryRunner runner, CancellationToken cancellationToken) =>
        RunAsync(connection, body.Q, QueryParameters.Parse(body.QueryParameters), body.Format ?? format, cacheable: false, user, runner,
            cancellationToken);

    private static async Task<IResult> RunAsync(string connection, string? sql, (List<NpgsqlParameter>? Parameters, string? Error) parameters,
        string? format, bool cacheable, ClaimsPrincipal user, SqlQueryRunner runner, CancellationToken cancellationToken)
    {
        if (connection != WarehouseDatabase.BuiltInConnectionName)
        {
            return SqlProblems.UnknownConnection(connection);
        }
        if (string.IsNullOrWhiteSpace(sql))
        {
            return ProblemResults.BadRequest("No query", "q is the SQL statement to run, and it is missing or empty.");
        }
        if (parameters.Parameters is null)
        {
            return ProblemResults.BadRequest("Invalid queryParameters", parameters.Error!);
        }
        format = string.IsNullOrEmpty(format) ? QueryResultWriter.Json : format.ToLowerInvariant();
        if (!QueryResultWriter.Formats.Contains(format))
        {
            return ProblemResults.BadRequest("Unknown format", $"format is one of: {string.Join(", ", QueryResultWriter.Formats)}.");
        }
        return await runner.RunAsync(user.GetOrganizationSlug(),
            new SqlQuery(connection, sql, parameters.Parameters, format, cacheable), cancellationToken);
    }
}

/// <summary>The POST body, as <c>@carto/api-client</c> sends it (other members, like <c>client</c>, are ignored).</summary>
public sealed record SqlQueryBody(string? Q, JsonElement? QueryParameters, string? Format);
