using Npgsql;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>Statements of (or around) a caller's SQL, run read-only and under a statement timeout, in one round trip.</summary>
public static class ReadOnlyBatch
{
    /// <summary>
    /// A batch that makes the connection's open transaction read-only (which must precede any query of it), sets its
    /// statement timeout, then runs <paramref name="commands"/>. The SET commands return no result, so a reader starts at
    /// the first of them. A batch command is never split at semicolons, and PostgreSQL's extended protocol refuses a
    /// second statement in one: each command is exactly one statement.
    /// </summary>
    public static NpgsqlBatch Create(NpgsqlConnection connection, TimeSpan statementTimeout, params NpgsqlBatchCommand[] commands)
    {
        var batch = new NpgsqlBatch(connection)
        {
            // PostgreSQL's statement_timeout is the limit; Npgsql's own (30 s) would cut a legitimate query short.
            Timeout = 0,
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET TRANSACTION READ ONLY"),
                // A number of the platform's configuration, not the caller's: safe to write into the statement.
                new NpgsqlBatchCommand($"SET LOCAL statement_timeout = {(long)statementTimeout.TotalMilliseconds}"),
            },
        };
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        return batch;
    }
}
