using System.Security.Claims;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using Npgsql;

namespace CartoSelfHosted.AccountsApi.Apis;

public static class TokensApi
{
    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/tokens").WithTags("Tokens");
        api.MapGet("", ListTokens)
            .WithSummary("The organization's API tokens")
            .WithDescription("Every API token of the presented token's organization, newest first: name, scopes, when it was made, " +
                "when it expires and when it was revoked. Never a token's value, which is not stored; never a sign-in's tokens.");
        return app;
    }

    /// <summary>The organization's API tokens (a sign-in's belong to its session). Only what describes them: a token's value is never stored, so never returned.</summary>
    public static async Task<TokenList> ListTokens(ClaimsPrincipal user, MetadataDatabase metadata, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("""
            SELECT id, name, scopes, created_at, expires_at, revoked_at
            FROM api_tokens WHERE organization_id = $1 AND session_id IS NULL ORDER BY created_at DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = user.GetOrganizationId() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tokens = new List<TokenDescription>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tokens.Add(new TokenDescription(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5)));
        }
        return new TokenList(tokens);
    }
}

public sealed record TokenList(IReadOnlyList<TokenDescription> Tokens);

public sealed record TokenDescription(Guid Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);
