using Npgsql;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>Statements of (or around) a caller's SQL, run read-only and under a statement timeout, in one round trip.</summary>
public static class ReadOnlyBatch
{
    /// <summary>The settings of an interactive statement beyond read-only and its timeout (<see cref="Create"/>).</summary>
    private static readonly (string Name, string Value)[] Interactive = [("jit", "off"), ("max_parallel_workers_per_gather", "0")];

    /// <summary><see cref="Interactive"/> as a connection string's <c>Options</c>, for a pool that runs nothing else.</summary>
    public static string InteractiveOptions => string.Join(' ', Interactive.Select(setting => $"-c {setting.Name}={setting.Value}"));

    /// <summary>
    /// A batch that makes the connection's open transaction read-only (which must precede any query of it), sets its
    /// statement timeout, turns off JIT compilation and parallel workers, then runs <paramref name="commands"/>. Every
    /// statement here answers a person waiting, in milliseconds: compiling costs more than it saves (PostGIS's functions
    /// are declared costly, so a quadbin tile over 10,000 points passed PostgreSQL's JIT threshold and spent 0.5 s
    /// compiling a 26 ms statement), and a parallel worker takes a core that another request needs for the few ms it wins.
    /// The SET commands return no result, so a reader starts at the first of them. A batch command is never split at
    /// semicolons, and PostgreSQL's extended protocol refuses a second statement in one: each command is exactly one
    /// statement.
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
        foreach (var (name, value) in Interactive)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL {name} = {value}"));
        }
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        return batch;
    }
}
