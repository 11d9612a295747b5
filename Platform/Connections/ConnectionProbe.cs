using System.Net.Sockets;
using Npgsql;

namespace CartoSelfHosted.Platform.Connections;

/// <summary>Tries a connection before it is kept, so a wrong host or password is the caller's error now, not a broken map later.</summary>
public static class ConnectionProbe
{
    /// <summary>Null when a session opens and answers; else why not, in the server's or the network's words (never the password).</summary>
    public static async Task<string?> TestAsync(PostgresConnectionSettings settings, string password, CancellationToken cancellationToken)
    {
        var connectionString = settings.ConnectionString(password);
        connectionString.Pooling = false;
        try
        {
            await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return null;
        }
        catch (PostgresException ex)
        {
            return ex.MessageText;
        }
        catch (NpgsqlException ex)
        {
            // "Failed to connect to 127.0.0.1:1" says where, its inner exception why ("Connection refused", a timeout).
            return ex.InnerException is SocketException or TimeoutException or IOException
                ? $"{ex.Message}: {ex.InnerException.Message}"
                : ex.Message;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or ArgumentException)
        {
            return ex.Message;
        }
    }
}
