using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Maps;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Connections;
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
        var api = app.MapGroup("/api/v3/sql/{connection}/query").WithTags("SQL").AcceptsApiAccessTokens(CartoApis.Sql);
        api.MapGet("", QueryByGet)
            .WithSummary("Run a read-only query")
            .WithDescription("Runs one statement that only reads, as the organization, and streams its rows back as they come. " +
                "At most 200,000 rows (`SqlApi:MaxRows`): past them the answer is cut and says so (`meta.truncated`; `X-Row-Limit` on every answer). " +
                "Cacheable: the HTTP cache keeps it per token until the organization's data changes.")
            .WithQueryAnswers();
        api.MapPost("", QueryByPost)
            .WithSummary("Run a read-only query, sent in the body")
            .WithDescription("The same as the GET, for SQL too long for a URL (what `@carto/api-client` sends). Never cached.")
            .WithQueryAnswers();
        return app;
    }

    /// <summary>What both ways of running a query answer.</summary>
    private static RouteHandlerBuilder WithQueryAnswers(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<JsonElement>(StatusCodes.Status200OK, "application/json", "application/geo+json", "text/csv")
        .WithProblem(StatusCodes.Status400BadRequest, "No `q`, invalid `queryParameters` or an unknown `format`; or PostgreSQL refused " +
            "the SQL (`sql-error`, with its `sqlState`, `position` and `hint`), it ran past its time limit (`query-timeout`), or a column " +
            "has a type the API cannot return.")
        .WithProblem(StatusCodes.Status403Forbidden, "The statement writes (`read-only-query`), or reads what the organization may not (`forbidden`), " +
            "or the API access token is not granted this query.")
        .WithProblem(StatusCodes.Status404NotFound, "An unknown connection.");

    public static Task<IResult> QueryByGet([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Query)] string? q, [Description(ParameterDescriptions.QueryParameters)] string? queryParameters,
        [Description(ParameterDescriptions.Format)] string? format, ClaimsPrincipal user,
        SqlQueryRunner runner, DataConnections connections, CancellationToken cancellationToken) =>
        RunAsync(connection, q, QueryParameters.Parse(queryParameters), format, cacheable: true, user, runner, connections, cancellationToken);

    public static Task<IResult> QueryByPost([Description(ParameterDescriptions.Connection)] string connection, [FromBody] SqlQueryBody body,
        [FromQuery, Description(ParameterDescriptions.Format + " The body's `format` comes first.")] string? format, ClaimsPrincipal user,
        SqlQueryRunner runner, DataConnections connections, CancellationToken cancellationToken) =>
        RunAsync(connection, body.Q, QueryParameters.Parse(body.QueryParameters), body.Format ?? format, cacheable: false, user, runner,
            connections, cancellationToken);

    private static async Task<IResult> RunAsync(string connectionName, string? sql, (List<NpgsqlParameter>? Parameters, string? Error) parameters,
        string? format, bool cacheable, ClaimsPrincipal user, SqlQueryRunner runner, DataConnections connections, CancellationToken cancellationToken)
    {
        if (await connections.FindAsync(ConnectionScope.Of(user), connectionName, cancellationToken) is not { } connection)
        {
            return ConnectionProblems.Unknown(connectionName);
        }
        if (string.IsNullOrWhiteSpace(sql))
        {
            return ProblemResults.BadRequest("No query", "q is the SQL statement to run, and it is missing or empty.");
        }
        if (parameters.Parameters is null)
        {
            return ProblemResults.BadRequest("Invalid queryParameters", parameters.Error!);
        }
        if (SourceAccess.CheckQuery(user, connection, sql) is { } refused)
        {
            return refused;
        }
        format = string.IsNullOrEmpty(format) ? QueryResultWriter.Json : format.ToLowerInvariant();
        if (!QueryResultWriter.Formats.Contains(format))
        {
            return ProblemResults.BadRequest("Unknown format", $"format is one of: {string.Join(", ", QueryResultWriter.Formats)}.");
        }
        return await runner.RunAsync(new SqlQuery(connection, sql, parameters.Parameters, format, cacheable), cancellationToken);
    }
}

/// <summary>The POST body, as <c>@carto/api-client</c> sends it (other members, like <c>client</c>, are ignored).</summary>
public sealed record SqlQueryBody(
    [property: Description(ParameterDescriptions.Query)] string? Q,
    [property: Description(ParameterDescriptions.QueryParametersInBody)] JsonElement? QueryParameters = null,
    [property: Description(ParameterDescriptions.Format)] string? Format = null);
