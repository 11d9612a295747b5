using CartoSelfHosted.Platform.Security;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace CartoSelfHosted.WorkspaceApi.Maps;

/// <summary>
/// A public map's API access token: made when the map is published (or its datasets change while it is public), owned
/// by the map's owner, granted exactly the map's datasets' sources through the Maps and SQL APIs (widgets and stats take
/// either), and revoked when the map stops being public, is deleted or reads other sources. fetchMap needs its value on
/// every read of the map, while <c>api_tokens</c> keeps only a hash: the map keeps the value encrypted with ASP.NET Core
/// Data Protection.
/// </summary>
public sealed class PublicMapTokens(IDataProtectionProvider dataProtection)
{
    public const string Purpose = "CartoSelfHosted.PublicMapTokens";

    public static readonly IReadOnlyList<string> AllowedApis = [CartoApis.Maps, CartoApis.Sql];

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    /// <summary>
    /// Revokes the map's token, if it has one, and makes a new one granted <paramref name="datasets"/>' sources, on
    /// <paramref name="connection"/> (in the transaction that changes the map); returns its value, encrypted, as the map keeps it.
    /// </summary>
    public async Task<string> MintAsync(NpgsqlConnection connection, Guid mapId, Guid organizationId, Guid ownerId,
        IReadOnlyList<MapDataset> datasets, CancellationToken cancellationToken)
    {
        await RevokeAsync(connection, mapId, cancellationToken);
        var (_, token) = await ApiAccessTokenRows.InsertAsync(connection, new NewApiAccessToken(organizationId, ownerId, $"public map {mapId}",
            MapDocuments.Grants(datasets), AllowedApis, MapId: mapId), cancellationToken);
        return _protector.Protect(token);
    }

    /// <summary>Revokes the map's token: every API refuses it from its next lookup, within a second (the token cache's 0.5 s).</summary>
    public static async Task RevokeAsync(NpgsqlConnection connection, Guid mapId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("UPDATE api_tokens SET revoked_at = now() WHERE map_id = $1 AND revoked_at IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = mapId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The token's value, from what the map keeps.</summary>
    public string Reveal(string protectedToken) => _protector.Unprotect(protectedToken);
}
