using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>
/// Outside development, the development token goes: a metadata database that was first run with <c>./run.sh</c> and
/// then deployed must not keep an admin credential that was printed on a console and written to a file.
/// </summary>
internal sealed class DevelopmentTokenRetirement(MetadataDatabase metadata, ILogger<DevelopmentTokenRetirement> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        // By its name, and as only it is: no grants (an API access token may be named anything) and no session.
        var deleted = await connection.ExecuteAsync("""
            DELETE FROM api_tokens WHERE name = $1 AND grants IS NULL AND session_id IS NULL
            """, cancellationToken, ApiTokens.DevelopmentTokenName);
        if (deleted > 0)
        {
            logger.LogWarning("The development token was deleted: this installation is not a development one");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
