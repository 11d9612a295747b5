using Npgsql;

namespace CartoSelfHosted.Platform.Warehouse;

public static class WarehouseTables
{
    /// <summary>
    /// Whether <paramref name="schema"/>.<paramref name="table"/> exists as the connection's login sees it (what it
    /// cannot see does not exist for it). The names are values, never part of the statement.
    /// </summary>
    public static async Task<bool> ExistsAsync(NpgsqlConnection connection, string schema, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass(format('%I.%I', $1::text, $2::text)) IS NOT NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
