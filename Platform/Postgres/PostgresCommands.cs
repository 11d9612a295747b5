using System.Reflection;
using Npgsql;

namespace CartoSelfHosted.Platform.Postgres;

public static class PostgresCommands
{
    /// <summary>Runs one statement on an open connection, its values bound as positional parameters ($1, $2…).</summary>
    public static async Task<int> ExecuteAsync(this NpgsqlConnection connection, string sql, CancellationToken cancellationToken,
        params object[] parameters)
    {
        await using var command = connection.CreateCommand(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A statement on an open connection, its values bound as positional parameters ($1, $2…).</summary>
    public static NpgsqlCommand CreateCommand(this NpgsqlConnection connection, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return command;
    }

    /// <summary>The first row of a statement that always returns one.</summary>
    public static async Task<T> ReadSingleAsync<T>(this NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = connection.CreateCommand(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? read(reader) : throw new InvalidOperationException("The statement returned no row.");
    }

    /// <summary>The first row of a statement, or null (<typeparamref name="T"/> is a reference or a nullable type).</summary>
    public static async Task<T?> ReadSingleOrDefaultAsync<T>(this NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = connection.CreateCommand(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? read(reader) : default;
    }

    /// <summary>
    /// Runs a script (statements separated by semicolons) with no command timeout: making a schema of open data and its
    /// indexes takes longer than a command's default 30 s may allow on a busy machine.
    /// </summary>
    public static async Task ExecuteUntimedAsync(this NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A SQL script embedded in an assembly (<c>EmbeddedResource</c> with a <c>LogicalName</c>).</summary>
    public static string ReadEmbeddedSql(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"{name} is not embedded.");
        return new StreamReader(stream).ReadToEnd();
    }
}
