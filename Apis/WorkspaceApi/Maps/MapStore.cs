using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.WorkspaceApi.Maps;

/// <summary>
/// Who reads or changes maps: a user of an organization, by a user's token (a sign-in's, or the development token once it
/// is the first admin's). An API access token is no reader: it reads sources, not maps — a public map needs no token.
/// </summary>
public sealed record MapReader(Guid OrganizationId, Guid UserId, bool IsAdmin)
{
    public static MapReader? Of(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && user.GetUserId() is { } userId && user.GetApiAccessToken() is null
            ? new MapReader(user.GetOrganizationId(), userId, user.HasClaim(ApiTokenClaims.Scope, PlatformRoles.Admin))
            : null;
}

/// <summary>
/// Saved maps in the metadata database (<c>maps</c>). Who sees what is decided in the SQL: a public map by anyone, an
/// organization map by its organization's users, a private one by its owner and its organization's admins; anything
/// else is not found, so no map's id tells another organization it exists. Changes are the owner's or an admin's, each in
/// one transaction with the public token it makes or revokes.
/// </summary>
public sealed class MapStore(MetadataDatabase metadata, PublicMapTokens publicTokens)
{
    private const string Columns = """
        m.id, m.title, m.description, m.privacy, m.owner_id, m.created_at, m.updated_at, m.datasets::text, m.kepler_map_config::text, m.public_token,
        (SELECT coalesce(json_agg(json_build_object('id', b.dataset_id, 'reason', b.reason, 'since', b.since) ORDER BY b.dataset_id), '[]')::text
         FROM map_broken_datasets b WHERE b.map_id = m.id)
        """;

    // $1 the map; $2, $3, $4 the reader's organization, user and whether it is an admin (null for nobody: public maps only).
    private const string Visible =
        "(m.privacy = 'public' OR m.organization_id = $2 AND (m.privacy = 'organization' OR m.owner_id = $3 OR $4))";

    /// <summary>
    /// The maps of the reader's organization it may read — <see cref="Visible"/> within one organization — of <c>maps m</c>,
    /// with $1, $2, $3 the reader's organization, user and whether it is an admin. The listing and the search filter with it.
    /// </summary>
    public const string Listed = "m.organization_id = $1 AND (m.privacy <> 'private' OR m.owner_id = $2 OR $3)";

    private const string Editable = "(m.organization_id = $2 AND (m.owner_id = $3 OR $4))";

    /// <summary>How many of the organization's saved maps have a dataset on connection <paramref name="connection"/>, whoever may see them.</summary>
    public async Task<long> CountUsingConnectionAsync(Guid organizationId, string connection, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("SELECT count(*) FROM maps WHERE organization_id = $1 AND datasets @> $2::jsonb");
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(new[] { new { connectionName = connection } }) });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The map if <paramref name="reader"/> (null: anyone) may read it; null otherwise, whether or not it exists.</summary>
    public async Task<MapView?> FindAsync(Guid id, MapReader? reader, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        return (await FindRowAsync(connection, id, reader, forUpdate: false, cancellationToken)) is { } row ? View(row) : null;
    }

    /// <summary>A page of the maps of the reader's organization it may read, the last changed first.</summary>
    public async Task<MapList> ListAsync(MapReader reader, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SELECT count(*) FROM maps m WHERE {Listed}"),
                new NpgsqlBatchCommand($"""
                    SELECT m.id, m.title, m.description, m.privacy, m.owner_id, m.created_at, m.updated_at FROM maps m WHERE {Listed}
                    ORDER BY m.updated_at DESC, m.id LIMIT $4 OFFSET $5
                    """),
            },
        };
        foreach (var command in batch.BatchCommands)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = reader.OrganizationId });
            command.Parameters.Add(new NpgsqlParameter { Value = reader.UserId });
            command.Parameters.Add(new NpgsqlParameter { Value = reader.IsAdmin });
        }
        batch.BatchCommands[1].Parameters.Add(new NpgsqlParameter { Value = pageSize });
        batch.BatchCommands[1].Parameters.Add(new NpgsqlParameter { Value = (long)(page - 1) * pageSize });
        await using var rows = await batch.ExecuteReaderAsync(cancellationToken);
        await rows.ReadAsync(cancellationToken);
        var total = rows.GetInt64(0);
        await rows.NextResultAsync(cancellationToken);
        var maps = new List<MapSummary>();
        while (await rows.ReadAsync(cancellationToken))
        {
            maps.Add(new MapSummary(rows.GetGuid(0), rows.GetString(1), rows.IsDBNull(2) ? null : rows.GetString(2),
                rows.GetString(3), rows.GetGuid(4), rows.GetFieldValue<DateTimeOffset>(5), rows.GetFieldValue<DateTimeOffset>(6)));
        }
        return new MapList(maps, page, pageSize, total);
    }

    /// <summary>Saves a new map owned by <paramref name="owner"/>; a public one gets its token in the same transaction.</summary>
    public async Task<MapView> CreateAsync(MapReader owner, string title, string? description, string privacy, JsonElement datasets,
        IReadOnlyList<MapDataset> readDatasets, JsonElement kepler, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = Guid.CreateVersion7();
        // Saved private first: the token's row names the map, which must exist.
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO maps (id, organization_id, owner_id, title, description, datasets, kepler_map_config)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
            """, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = owner.OrganizationId });
            insert.Parameters.Add(new NpgsqlParameter { Value = owner.UserId });
            insert.Parameters.Add(new NpgsqlParameter { Value = title });
            insert.Parameters.Add(Text(description));
            insert.Parameters.Add(new NpgsqlParameter { Value = datasets.GetRawText() });
            insert.Parameters.Add(new NpgsqlParameter { Value = kepler.GetRawText() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        var protectedToken = privacy == MapPrivacy.Public
            ? await publicTokens.MintAsync(connection, id, owner.OrganizationId, owner.UserId, readDatasets, cancellationToken)
            : null;
        var row = await UpdateAsync(connection, id, title, description, privacy, datasets, kepler, protectedToken, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return View(row);
    }

    /// <summary>
    /// Applies <paramref name="change"/> (checked alone by the caller) to a map the reader may change: the result is checked
    /// whole, and its public token made, kept, re-made (other sources) or revoked as its privacy and datasets say.
    /// </summary>
    public async Task<(MapView? Map, IResult? Problem)> ChangeAsync(Guid id, MapReader reader, MapBody change, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (current, problem) = await FindEditableAsync(connection, id, reader, cancellationToken);
        if (current is null)
        {
            return (null, problem);
        }
        var datasets = change.Datasets ?? current.Datasets;
        var kepler = change.KeplerMapConfig ?? current.KeplerMapConfig;
        var (newDatasets, datasetsProblem) = MapDocuments.ReadDatasets(datasets);
        if (newDatasets is null)
        {
            return (null, datasetsProblem);
        }
        if (MapDocuments.CheckLayerDatasets(kepler, newDatasets, bothFromTheBody: change.Datasets is not null && change.KeplerMapConfig is not null)
            is { } layersProblem)
        {
            return (null, layersProblem);
        }
        var privacy = change.Privacy ?? current.Privacy;
        var protectedToken = current.ProtectedToken;
        if (privacy == MapPrivacy.Public
            && (current.Privacy != MapPrivacy.Public || !MapDocuments.SameSources(MapDocuments.ReadDatasets(current.Datasets).Datasets!, newDatasets)))
        {
            protectedToken = await publicTokens.MintAsync(connection, id, current.OrganizationId, current.OwnerId, newDatasets, cancellationToken);
        }
        else if (privacy != MapPrivacy.Public && current.Privacy == MapPrivacy.Public)
        {
            await PublicMapTokens.RevokeAsync(connection, id, cancellationToken);
            protectedToken = null;
        }
        var description = change.Description is null ? current.Description : change.Description.Length == 0 ? null : change.Description;
        var row = await UpdateAsync(connection, id, change.Title ?? current.Title, description, privacy, datasets, kepler, protectedToken,
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (View(row), null);
    }

    /// <summary>A private copy, owned by the reader, of a map it may read; null when it may not.</summary>
    public async Task<MapView?> CopyAsync(Guid id, MapReader reader, string? title, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, reader, cancellationToken) is not { } original)
        {
            return null;
        }
        return await CreateAsync(reader, title ?? $"{original.Title} (copy)", original.Description, MapPrivacy.Private, original.Datasets,
            MapDocuments.ReadDatasets(original.Datasets).Datasets!, original.KeplerMapConfig, cancellationToken);
    }

    /// <summary>Deletes a map the reader may change, and revokes its public token.</summary>
    public async Task<IResult?> DeleteAsync(Guid id, MapReader reader, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (current, problem) = await FindEditableAsync(connection, id, reader, cancellationToken);
        if (current is null)
        {
            return problem;
        }
        await PublicMapTokens.RevokeAsync(connection, id, cancellationToken);
        await using (var delete = new NpgsqlCommand("DELETE FROM maps WHERE id = $1", connection))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = id });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>The map, if the reader may read it, with whether it may change it; locked for the transaction when <paramref name="forUpdate"/>.</summary>
    private static async Task<MapRow?> FindRowAsync(NpgsqlConnection connection, Guid id, MapReader? reader, bool forUpdate,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns}, m.organization_id, coalesce({Editable}, false) FROM maps m WHERE m.id = $1 AND {Visible}
            {(forUpdate ? "FOR UPDATE" : "")}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)reader?.OrganizationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)reader?.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = reader?.IsAdmin ?? false, NpgsqlDbType = NpgsqlDbType.Boolean });
        await using var read = await command.ExecuteReaderAsync(cancellationToken);
        return await read.ReadAsync(cancellationToken) ? ReadRow(read) with { OrganizationId = read.GetGuid(11), Editable = read.GetBoolean(12) } : null;
    }

    /// <summary>The map, locked, when the reader may change it; else the problem: 404 if it may not even read it, 403 if it only reads it.</summary>
    private static async Task<(MapRow? Map, IResult? Problem)> FindEditableAsync(NpgsqlConnection connection, Guid id, MapReader reader,
        CancellationToken cancellationToken)
    {
        var row = await FindRowAsync(connection, id, reader, forUpdate: true, cancellationToken);
        return row switch
        {
            null => (null, NoSuchMap()),
            { Editable: false } => (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not the map's owner",
                type: ProblemTypes.Forbidden, detail: "Only the map's owner or an admin of its organization changes or deletes it; copy it to make your own.")),
            _ => (row, null),
        };
    }

    public static IResult NoSuchMap() => ProblemResults.NotFound("No such map", "There is no map with this id that you may see.");

    private static async Task<MapRow> UpdateAsync(NpgsqlConnection connection, Guid id, string title, string? description, string privacy,
        JsonElement datasets, JsonElement kepler, string? protectedToken, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            UPDATE maps m SET title = $2, description = $3, privacy = $4, datasets = $5::jsonb, kepler_map_config = $6::jsonb,
                public_token = $7, updated_at = now()
            WHERE m.id = $1
            RETURNING {Columns}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = title });
        command.Parameters.Add(Text(description));
        command.Parameters.Add(new NpgsqlParameter { Value = privacy });
        command.Parameters.Add(new NpgsqlParameter { Value = datasets.GetRawText() });
        command.Parameters.Add(new NpgsqlParameter { Value = kepler.GetRawText() });
        command.Parameters.Add(Text(protectedToken));
        await using var read = await command.ExecuteReaderAsync(cancellationToken);
        await read.ReadAsync(cancellationToken);
        return ReadRow(read);
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static MapRow ReadRow(NpgsqlDataReader read) => new(read.GetGuid(0), read.GetString(1), read.IsDBNull(2) ? null : read.GetString(2),
        read.GetString(3), read.GetGuid(4), read.GetFieldValue<DateTimeOffset>(5), read.GetFieldValue<DateTimeOffset>(6),
        JsonElement.Parse(read.GetString(7)), JsonElement.Parse(read.GetString(8)), read.IsDBNull(9) ? null : read.GetString(9),
        JsonSerializer.Deserialize<List<BrokenDataset>>(read.GetString(10), JsonSerializerOptions.Web)!);

    private MapView View(MapRow row) => new(row.Id, row.Title, row.Description, row.Privacy, row.OwnerId, row.CreatedAt, row.UpdatedAt,
        row.Datasets, row.KeplerMapConfig, row.BrokenDatasets, row.ProtectedToken is { } protectedToken ? publicTokens.Reveal(protectedToken) : null);

    private sealed record MapRow(Guid Id, string Title, string? Description, string Privacy, Guid OwnerId, DateTimeOffset CreatedAt,
        DateTimeOffset UpdatedAt, JsonElement Datasets, JsonElement KeplerMapConfig, string? ProtectedToken, IReadOnlyList<BrokenDataset> BrokenDatasets)
    {
        public Guid OrganizationId { get; init; }

        public bool Editable { get; init; }
    }
}
