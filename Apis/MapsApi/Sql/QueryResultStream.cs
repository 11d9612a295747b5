using System.Globalization;
using Npgsql;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>
/// The rows of a running query, written to the response as they arrive. It owns the connection, and gives it back
/// when the last row is written, the row limit is reached or the client goes away.
/// </summary>
internal sealed class QueryResultStream(NpgsqlConnection connection, NpgsqlBatch batch, NpgsqlDataReader reader, QueryColumn[] columns,
    bool hasRow, SqlQuery query, SqlApiOptions limits, ILogger logger) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        try
        {
            var (writer, error) = QueryResultWriter.Create(query.Format, response.BodyWriter, columns);
            if (writer is null)
            {
                await ProblemResults.BadRequest("No geometry", error!).ExecuteAsync(httpContext);
                return;
            }
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = writer.ContentType;
            response.Headers["X-Row-Limit"] = limits.MaxRows.ToString(CultureInfo.InvariantCulture);
            SqlCaching.Apply(httpContext, query, limits.CacheDuration);

            writer.WriteStart();
            long rowCount = 0;
            while (hasRow && rowCount < limits.MaxRows)
            {
                writer.WriteRow(reader);
                rowCount++;
                await writer.FlushAsync(force: false, cancellationToken);
                hasRow = await reader.ReadAsync(cancellationToken);
            }
            var truncated = hasRow;
            if (truncated)
            {
                // The rest is not wanted: stop the statement rather than read it to its end.
                batch.Cancel();
            }
            writer.WriteEnd(rowCount, truncated, limits.MaxRows);
            await writer.FlushAsync(force: true, cancellationToken);
        }
        catch (Exception ex) when (response.HasStarted && ex is PostgresException or NpgsqlException or FormatException or InvalidCastException)
        {
            // The status line and the first rows are gone already: cut the response, so the client sees an incomplete
            // answer and not a complete-looking one without its last rows.
            logger.LogWarning("A query's result stream failed after its first rows: {Reason}", ex.Message);
            httpContext.Abort();
        }
        finally
        {
            await SqlQueryRunner.DisposeAsync(connection, batch, reader);
        }
    }
}
