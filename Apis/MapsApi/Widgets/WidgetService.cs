using System.Text;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Maps;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Widgets;

/// <summary>
/// The source a widget or a statistic reads, as <c>@carto/api-client</c> sends it (by GET, JSON members as query
/// strings, or POST): a table or a query with its parameters, the filters that apply, and its geometry column.
/// </summary>
public sealed record WidgetRequest(
    string? Type,
    string? Source,
    JsonElement? QueryParameters,
    JsonElement? Filters,
    string? FiltersLogicalOperator,
    JsonElement? SpatialFilters,
    string? SpatialDataColumn = null,
    string? SpatialDataType = null,
    string? SpatialFiltersMode = null);

/// <summary>
/// Runs one statement over a table or query source on a connection the caller may use — a widget model, a column's
/// statistics — as the organization (or the connection's login), read-only, under the SQL API's statement timeout; the statement's JSON is the answer.
/// An API access token reads only the sources it is granted (<see cref="SourceAccess"/>).
/// </summary>
public sealed class WidgetService(DataConnections connections, TableColumns tableColumns, IOptions<SqlApiOptions> options)
{
    public async Task<IResult> RunAsync(HttpContext httpContext, string connectionName, WidgetRequest request, Func<WidgetSql, string> statementOf,
        bool cacheable, CancellationToken cancellationToken)
    {
        var user = httpContext.User;
        if (await connections.FindAsync(ConnectionScope.Of(user), connectionName, cancellationToken) is not { } connection)
        {
            return ConnectionProblems.Unknown(connectionName);
        }
        if (request.Type is not ("table" or "query"))
        {
            return ProblemResults.BadRequest("Invalid source type", "type is 'table' (source is a table's name) or 'query' (source is SQL).");
        }
        if (string.IsNullOrWhiteSpace(request.Source))
        {
            return ProblemResults.BadRequest("No source", "source is the table's name or the query the widget reads.");
        }
        var (parameters, parametersError) = QueryParameters.Parse(request.QueryParameters);
        if (parameters is null)
        {
            return ProblemResults.BadRequest("Invalid queryParameters", parametersError!);
        }
        if (request.Type == "table" && parameters.Count > 0)
        {
            return ProblemResults.BadRequest("Invalid queryParameters", "A table source takes no queryParameters.");
        }

        if (request.Type == "query" && SourceAccess.CheckQuery(user, connection, request.Source) is { } refused)
        {
            return refused;
        }
        await using var warehouse = await connection.OpenAsync(cancellationToken);
        // Never committed: rolled back with the widget's statement, or when disposed.
        await using var transaction = await warehouse.BeginTransactionAsync(cancellationToken);
        try
        {
            string from;
            IReadOnlyList<QueryColumn> columns;
            if (request.Type == "table")
            {
                var (table, problem) = await MapSourceResolver.FindGrantedTableAsync(warehouse, user, connection, request.Source, cancellationToken);
                if (table is null)
                {
                    return problem!;
                }
                from = table.Table.QuotedName;
                columns = await tableColumns.GetAsync(warehouse, table, options.Value.StatementTimeout, cancellationToken);
            }
            else
            {
                from = $"({request.Source}\n)";
                columns = await MapSourceResolver.DescribeAsync(warehouse, from, parameters, options.Value.StatementTimeout, cancellationToken);
            }
            var sql = new WidgetSql(from, columns, parameters)
            {
                SpatialColumn = request.SpatialDataColumn is { Length: > 0 } spatial ? spatial : MapSourceResolver.DefaultSpatialColumn,
            };
            WidgetFilters.Apply(sql, request.Filters, request.FiltersLogicalOperator, request.SpatialFilters, request.SpatialDataType,
                request.SpatialFiltersMode);
            var statement = new NpgsqlBatchCommand(statementOf(sql));
            statement.Parameters.AddRange(sql.Parameters.ToArray());
            // The transaction ends in the same round trip as the statement: disposing it open would cost one more (Npgsql
            // rolls back only a transaction still open, as after a failed statement).
            await using var batch = ReadOnlyBatch.Create(warehouse, options.Value.StatementTimeout, statement, new NpgsqlBatchCommand("ROLLBACK"));
            var answer = (string)(await batch.ExecuteScalarAsync(cancellationToken))!;
            SqlCaching.Apply(httpContext, connection, cacheable, options.Value.CacheDuration);
            return TypedResults.Bytes(Encoding.UTF8.GetBytes(answer), "application/json");
        }
        catch (WidgetError error)
        {
            return error.ToProblem();
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } problem)
        {
            return problem;
        }
    }
}
