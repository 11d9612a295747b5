using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.WorkspaceApi.Maps;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.WorkspaceApi.Apis;

/// <summary>
/// Saved maps: the document CARTO's fetchMap opens (datasets and keplerMapConfig), owned by a user, private, shared with
/// the organization or public. The CRUD needs a user's token (editors and admins write); the public path needs none for a
/// public map and honours a user's token for the maps it may read. Paths beside maps-api's: a map id is one segment (a
/// uuid), a source's instantiation two (<c>/maps/{connection}/{table|query}</c>).
/// </summary>
public static class SavedMapsApi
{
    public const int MaxPageSize = 100;
    private const string MapId = "The map's id.";
    private const string NoSuchMapProblem = "No map with this id that the caller may see (a map of another organization is never seen).";
    private const string UserTokenProblem = "A token that is no user's (an API access token, or an organization's before its first sign-up).";
    private const string NotOwnerProblem = "A viewer, or a user who is neither the map's owner nor an admin of its organization.";

    public static IEndpointRouteBuilder MapSavedMapsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/maps").WithTags("Maps");
        api.MapPost("", CreateMap).RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Save a map")
            .WithDescription("`{title?, description?, privacy?, datasets?, keplerMapConfig?}` → 201 with the map, owned by the caller. " +
                "Checked as fetchMap reads it: keplerMapConfig version `v1`, every layer with `config.visConfig` and a `config.dataId` " +
                "naming one of the datasets, no outdated layer type, `interactionConfig.tooltip` when `interactionConfig` is there; " +
                "datasets of type `table` or `query`. A public map gets its API access token (`token`).")
            .Produces<MapView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, "A member fetchMap could not read, or malformed JSON.")
            .WithProblem(StatusCodes.Status403Forbidden, "A viewer, or " + UserTokenProblem);
        api.MapGet("", ListMaps)
            .WithSummary("The maps the caller may see")
            .WithDescription("The maps of the caller's organization it may read — its own, every organization and public one; an admin's, " +
                "every one — the last changed first, a page at a time.")
            .Produces<MapList>()
            .WithProblem(StatusCodes.Status400BadRequest, $"`page` below 1, or `pageSize` outside 1 to {MaxPageSize}.")
            .WithProblem(StatusCodes.Status403Forbidden, UserTokenProblem);
        api.MapGet("/{id:guid}", GetMap)
            .WithSummary("A map")
            .WithDescription("The map's document, with its `token` when it is public.")
            .Produces<MapView>()
            .WithProblem(StatusCodes.Status403Forbidden, UserTokenProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchMapProblem);
        api.MapPatch("/{id:guid}", ChangeMap).RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Change, rename, publish or unpublish a map")
            .WithDescription("The members given replace the map's, checked as on creation. Making it public mints its API access token, " +
                "granted exactly its datasets' sources; making it private or organization revokes it (refused everywhere within a second); " +
                "changing the datasets of a public map revokes its token and mints one for the new sources.")
            .Produces<MapView>()
            .WithProblem(StatusCodes.Status400BadRequest, "A member fetchMap could not read, or malformed JSON.")
            .WithProblem(StatusCodes.Status403Forbidden, NotOwnerProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchMapProblem)
            .WithProblem(StatusCodes.Status409Conflict, "The change leaves a layer of the map without its dataset (datasets or layers changed alone).");
        api.MapDelete("/{id:guid}", DeleteMap).RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Delete a map")
            .WithDescription("Its public token, if it has one, is refused everywhere within a second.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblem(StatusCodes.Status403Forbidden, NotOwnerProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchMapProblem);
        api.MapPost("/{id:guid}/copy", CopyMap).RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Copy a map")
            .WithDescription("A private copy, owned by the caller, of a map it may see. Body optional: `{title?}`.")
            .Produces<MapView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, "An invalid title.")
            .WithProblem(StatusCodes.Status403Forbidden, "A viewer, or " + UserTokenProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchMapProblem);
        api.MapGet("/public/{id:guid}", GetPublicMap).AllowAnonymous()
            .WithSummary("Open a map, as fetchMap does")
            .WithDescription("A public map, to anyone, without a token, with its `token` (an API access token granted exactly its datasets' " +
                "sources, for the Maps and SQL APIs). With a user's bearer token, also the private and organization maps that user may read, " +
                "without `token`: fetchMap then uses the caller's own.")
            .Produces<MapView>()
            .WithProblem(StatusCodes.Status401Unauthorized, "A bearer token that is unknown, revoked or expired.")
            .WithProblem(StatusCodes.Status404NotFound, NoSuchMapProblem);
        return app;
    }

    public static async Task<IResult> CreateMap(MapBody? body, ClaimsPrincipal user, MapStore maps, CancellationToken cancellationToken)
    {
        if (MapReader.Of(user) is not { } owner)
        {
            return UserTokenRequired();
        }
        if (body is null)
        {
            return ProblemResults.BadRequest("No body", "The body is the map: {title?, description?, privacy?, datasets?, keplerMapConfig?}.");
        }
        var datasets = body.Datasets ?? MapDocuments.NoDatasets;
        var kepler = body.KeplerMapConfig ?? MapDocuments.EmptyKeplerMapConfig;
        if (CheckMembers(body) is { } problem)
        {
            return problem;
        }
        var (readDatasets, datasetsProblem) = MapDocuments.ReadDatasets(datasets);
        if (readDatasets is null)
        {
            return datasetsProblem!;
        }
        if (MapDocuments.CheckLayerDatasets(kepler, readDatasets, bothFromTheBody: true) is { } layersProblem)
        {
            return layersProblem;
        }
        var created = await maps.CreateAsync(owner, body.Title ?? "Untitled map", string.IsNullOrEmpty(body.Description) ? null : body.Description,
            body.Privacy ?? MapPrivacy.Private, datasets, readDatasets, kepler, cancellationToken);
        return TypedResults.Created($"/api/v3/maps/{created.Id}", created);
    }

    public static async Task<IResult> ListMaps(ClaimsPrincipal user, MapStore maps, CancellationToken cancellationToken,
        [Description("The page, from 1.")] int page = 1, [Description("Maps per page, 1 to 100.")] int pageSize = 30)
    {
        if (MapReader.Of(user) is not { } reader)
        {
            return UserTokenRequired();
        }
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return ProblemResults.BadRequest("Invalid paging", $"page starts at 1 and pageSize is between 1 and {MaxPageSize}.");
        }
        return TypedResults.Ok(await maps.ListAsync(reader, page, pageSize, cancellationToken));
    }

    public static async Task<IResult> GetMap([Description(MapId)] Guid id, ClaimsPrincipal user, MapStore maps, CancellationToken cancellationToken)
    {
        if (MapReader.Of(user) is not { } reader)
        {
            return UserTokenRequired();
        }
        return await maps.FindAsync(id, reader, cancellationToken) is { } map ? TypedResults.Ok(map) : MapStore.NoSuchMap();
    }

    public static async Task<IResult> ChangeMap([Description(MapId)] Guid id, MapBody? body, ClaimsPrincipal user, MapStore maps,
        CancellationToken cancellationToken)
    {
        if (MapReader.Of(user) is not { } reader)
        {
            return UserTokenRequired();
        }
        if (body is null)
        {
            return ProblemResults.BadRequest("No body", "The body holds what changes: title, description, privacy, datasets or keplerMapConfig.");
        }
        if (CheckMembers(body) is { } problem)
        {
            return problem;
        }
        var (changed, changeProblem) = await maps.ChangeAsync(id, reader, body, cancellationToken);
        return changed is null ? changeProblem! : TypedResults.Ok(changed);
    }

    public static async Task<IResult> DeleteMap([Description(MapId)] Guid id, ClaimsPrincipal user, MapStore maps, CancellationToken cancellationToken)
    {
        if (MapReader.Of(user) is not { } reader)
        {
            return UserTokenRequired();
        }
        return await maps.DeleteAsync(id, reader, cancellationToken) ?? TypedResults.NoContent();
    }

    public static async Task<IResult> CopyMap([Description(MapId)] Guid id, ClaimsPrincipal user, MapStore maps, CancellationToken cancellationToken,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] MapCopyBody? body)
    {
        if (MapReader.Of(user) is not { } reader)
        {
            return UserTokenRequired();
        }
        if (MapDocuments.CheckTitle(body?.Title) is { } problem)
        {
            return problem;
        }
        return await maps.CopyAsync(id, reader, body?.Title, cancellationToken) is { } copy
            ? TypedResults.Created($"/api/v3/maps/{copy.Id}", copy)
            : MapStore.NoSuchMap();
    }

    /// <summary>
    /// What fetchMap asks first. A public map is anyone's, with its token; with a user's token, a map that user may read is
    /// answered too, without a token (the client falls back to its own). A bearer token that does not authenticate is a
    /// 401, so a client with an expired token is told so rather than that its private map does not exist.
    /// </summary>
    public static async Task<IResult> GetPublicMap([Description(MapId)] Guid id, HttpContext context, MapStore maps,
        CancellationToken cancellationToken)
    {
        if (context.User.Identity?.IsAuthenticated != true && context.Request.Headers.Authorization.Count > 0)
        {
            return TypedResults.Challenge();
        }
        // Only a public map carries a token: any other is answered to a user who has one already.
        return await maps.FindAsync(id, MapReader.Of(context.User), cancellationToken) is { } map ? TypedResults.Ok(map) : MapStore.NoSuchMap();
    }

    private static IResult? CheckMembers(MapBody body) =>
        MapDocuments.CheckTitle(body.Title)
        ?? MapDocuments.CheckDescription(body.Description)
        ?? MapDocuments.CheckPrivacy(body.Privacy)
        ?? (body.Datasets is { } datasets ? MapDocuments.ReadDatasets(datasets).Problem : null)
        ?? (body.KeplerMapConfig is { } kepler ? MapDocuments.CheckKeplerMapConfig(kepler) : null);

    private static IResult UserTokenRequired() => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "User token required",
        type: ProblemTypes.Forbidden, detail: "Maps are a user's: this API needs a user's access token (from signing in).");
}
