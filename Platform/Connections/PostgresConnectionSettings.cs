using Npgsql;

namespace CartoSelfHosted.Platform.Connections;

/// <summary>Where a PostgreSQL/PostGIS connection leads and as whom, without its password (which is never returned).</summary>
public sealed record PostgresConnectionSettings(string Host, int Port, string Database, string User, SslMode SslMode, string DefaultSchema)
{
    /// <summary>The connection string for <paramref name="password"/>; Npgsql drops the password from what it shows of it once opened.</summary>
    public NpgsqlConnectionStringBuilder ConnectionString(string password) => new()
    {
        Host = Host,
        Port = Port,
        Database = Database,
        Username = User,
        Password = password,
        SslMode = SslMode,
        ApplicationName = "CartoSelfHosted",
        // A user's server that does not answer fails the request instead of holding it.
        Timeout = 10,
    };
}
