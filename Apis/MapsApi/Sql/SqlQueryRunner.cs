using CartoSelfHosted.Platform.Connections;
using Microsoft.Extensions.Options;
using Npgsql;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Sql;

public sealed record SqlQuery(DataConnection Connection, string Sql, List<NpgsqlParameter> Parameters, string Format, bool Cacheable);

/// <summary>
/// Runs one statement of the caller's SQL on its connection (as the caller's organization on the built-in warehouse),
/// read-only and under a statement timeout, and
/// answers either a problem (when PostgreSQL refuses it before the first row) or a stream of its rows.
/// </summary>
public sealed class SqlQueryRunner(IOptions<SqlApiOptions> options, ILogger<SqlQueryRunner> logger)
{
    public async Task<IResult> RunAsync(SqlQuery query, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var connection = await query.Connection.OpenAsync(cancellationToken);
        NpgsqlBatch? batch = null;
        NpgsqlDataReader? reader = null;
        try
        {
            // Never committed: the connection's return to the pool rolls it back.
            await connection.BeginTransactionAsync(cancellationToken);
            // The SET commands return no result: the reader starts at the caller's statement.
            batch = ReadOnlyBatch.Create(connection, limits.StatementTimeout, new NpgsqlBatchCommand(query.Sql));
            foreach (var parameter in query.Parameters)
            {
                batch.BatchCommands[^1].Parameters.Add(parameter);
            }
            reader = await batch.ExecuteReaderAsync(cancellationToken);
            var hasRow = await reader.ReadAsync(cancellationToken);

            var (columns, columnError) = QueryColumn.Describe(reader);
            if (columns is null)
            {
                await DisposeAsync(connection, batch, reader);
                return ProblemResults.BadRequest("Unsupported column type", columnError!);
            }
            return new QueryResultStream(connection, batch, reader, columns, hasRow, query, limits, logger);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } problem)
        {
            await DisposeAsync(connection, batch, reader);
            return problem;
        }
        catch
        {
            await DisposeAsync(connection, batch, reader);
            throw;
        }
    }

    internal static async ValueTask DisposeAsync(NpgsqlConnection connection, NpgsqlBatch? batch, NpgsqlDataReader? reader)
    {
        try
        {
            if (reader is not null)
            {
                await reader.DisposeAsync();
            }
        }
        catch (Exception ex) when (ex is PostgresException or OperationCanceledException or NpgsqlException)
        {
            // The statement was cancelled on purpose (row limit, client gone): its error is expected here.
        }
        if (batch is not null)
        {
            await batch.DisposeAsync();
        }
        // Back to the pool, which rolls the transaction back and resets the session (DISCARD ALL).
        await connection.DisposeAsync();
    }
}
