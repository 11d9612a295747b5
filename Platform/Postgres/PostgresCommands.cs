using Npgsql;

namespace CartoSelfHosted.Platform.Postgres;

public static class PostgresCommands
{
    /// <summary>Runs one statement on an open connection, its values bound as positional parameters ($1, $2…).</summary>
    public static async Task<int> ExecuteAsync(this NpgsqlConnection connection, string sql, CancellationToken cancellationToken,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
