using CartoSelfHosted.Platform.Messaging;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// The dashboard's messaging table: per subscription, what its workers handled, failed and dead-lettered, and what
/// waits in the outbox, read from the metadata database where the services record them.
/// </summary>
public sealed class MessagingView(PostgresDatabaseResource metadata) : IAsyncDisposable
{
    private readonly Lazy<NpgsqlDataSource> _dataSource = new(() =>
        NpgsqlDataSource.Create(metadata.ConnectionString.Runtime() + ";Timeout=3;Command Timeout=5"));

    public async Task<IResult> GetAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Results.Ok(await MessagingStatus.ReadAsync(_dataSource.Value, cancellationToken));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // Before PostgreSQL is up, or before the schema's owner has migrated it.
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready",
                detail: $"The {metadata.Name} database cannot be read yet.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource.IsValueCreated)
        {
            await _dataSource.Value.DisposeAsync();
        }
    }
}
