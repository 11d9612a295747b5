using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.Platform.Catalog;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.WorkspaceApi.Connections;
using CartoSelfHosted.WorkspaceApi.Maps;

namespace CartoSelfHosted.WorkspaceApi.Apis;

/// <summary>
/// CARTO's Connections API: the built-in warehouse and the PostgreSQL/PostGIS databases users run themselves, by the
/// name the other APIs take. A connection is tried before it is kept; its password is kept encrypted and never returned.
/// </summary>
public static class ConnectionsApi
{
    private const string NoSuchConnection = "The caller may use no connection with this id.";
    private const string ConnectionId = "The connection's id (as its list gives it; the other APIs take its name).";

    public static IEndpointRouteBuilder MapConnectionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/connections").WithTags("Connections");
        api.MapGet("", ListConnections)
            .WithSummary("The connections the caller may use")
            .WithDescription("The built-in warehouse, `carto_dw`, then the organization's shared connections and the caller's private ones, " +
                "by name. Never a password.")
            .Produces<ConnectionList>();
        api.MapPost("", CreateConnection)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Add a connection to a PostgreSQL/PostGIS database")
            .WithDescription("`{name, provider_id: \"postgres\", privacy: \"private\"|\"shared\", config: {host, port, database, user, password, " +
                "sslmode, schema}}` (`server` and `username` are taken too) → 201. The connection is tried first: one that does not open is a 400 " +
                "`could not connect: …`. Maps, SQL and widgets then take its name, and run under its credentials.")
            .Produces<ConnectionView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, "A missing or invalid member, or the connection does not open.")
            .WithProblem(StatusCodes.Status403Forbidden, "The caller is a viewer.")
            .WithProblem(StatusCodes.Status409Conflict, "The organization has a connection of this name.");
        api.MapGet("/{id:guid}", GetConnection)
            .WithSummary("One connection")
            .WithDescription("Where it leads and as whom (host, port, database, user, sslmode, default schema), its privacy and owner; " +
                "never its password.")
            .Produces<ConnectionView>()
            .WithProblem(StatusCodes.Status404NotFound, NoSuchConnection);
        api.MapPatch("/{id:guid}", ChangeConnection)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Change a connection")
            .WithDescription("The create body's members replace the connection's; what is left out (the password above all) stays. A change of " +
                "where or as whom it connects is tried first.")
            .Produces<ConnectionView>()
            .WithProblem(StatusCodes.Status400BadRequest, "An invalid member, or the changed connection does not open.")
            .WithProblem(StatusCodes.Status403Forbidden, "The caller is a viewer, or neither the connection's owner nor an admin.")
            .WithProblem(StatusCodes.Status404NotFound, NoSuchConnection)
            .WithProblem(StatusCodes.Status409Conflict, "The organization has another connection of the new name, or saved maps use it by its old one.");
        api.MapDelete("/{id:guid}", DeleteConnection)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Remove a connection")
            .WithDescription("Its name reaches nothing any more, on every API.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblem(StatusCodes.Status403Forbidden, "The caller is a viewer, or neither the connection's owner nor an admin.")
            .WithProblem(StatusCodes.Status404NotFound, NoSuchConnection)
            .WithProblem(StatusCodes.Status409Conflict, "Saved maps of the organization use the connection.");
        return app;
    }

    /// <summary>
    /// Not cached: it is a few rows, and a connection just added must show at once. (It was cached per token under the
    /// surrogate key <c>connections</c> while the list could not change.)
    /// </summary>
    public static async Task<ConnectionList> ListConnections(ClaimsPrincipal user, ConnectionStore connections, HttpResponse response,
        CancellationToken cancellationToken)
    {
        response.Headers.CacheControl = "private, no-store";
        var own = await connections.ListAsync(ConnectionScope.Of(user), cancellationToken);
        return new([ConnectionView.BuiltInWarehouse, .. own.Select(ConnectionView.Of)]);
    }

    public static async Task<IResult> CreateConnection(ConnectionBody? body, ClaimsPrincipal user, ConnectionStore connections,
        ILogger<ConnectionStore> logger, CancellationToken cancellationToken)
    {
        var (definition, problem) = ConnectionRequests.ForCreation(body);
        if (definition is null)
        {
            return problem!;
        }
        if (await ConnectionProbe.TestAsync(definition.Settings, definition.Password, cancellationToken) is { } failure)
        {
            return CouldNotConnect(failure);
        }
        if (await connections.CreateAsync(ConnectionScope.Of(user), definition, cancellationToken) is not { } created)
        {
            return NameTaken(definition.Name);
        }
        logger.LogInformation("Connection {ConnectionId} '{Name}' to {Host}:{Port}/{Database} as {User} added", created.Id, created.Name,
            created.Settings.Host, created.Settings.Port, created.Settings.Database, created.Settings.User);
        return TypedResults.Created($"/api/v3/connections/{created.Id}", ConnectionView.Of(created));
    }

    public static async Task<IResult> GetConnection([Description(ConnectionId)] Guid id, ClaimsPrincipal user, ConnectionStore connections, CancellationToken cancellationToken) =>
        await connections.FindAsync(ConnectionScope.Of(user), id, cancellationToken) is var (connection, _)
            ? TypedResults.Ok(ConnectionView.Of(connection))
            : NotFound();

    public static async Task<IResult> ChangeConnection([Description(ConnectionId)] Guid id, ConnectionBody? body, ClaimsPrincipal user, ConnectionStore connections,
        DataConnections pools, MapStore maps, CatalogStore catalog, CancellationToken cancellationToken)
    {
        var scope = ConnectionScope.Of(user);
        if (await connections.FindAsync(scope, id, cancellationToken) is not var (existing, password))
        {
            return NotFound();
        }
        if (MayChange(user, existing) is { } refused)
        {
            return refused;
        }
        var (definition, problem) = ConnectionRequests.ForChange(body, existing, password);
        if (definition is null)
        {
            return problem!;
        }
        if (definition.Name != existing.Name && await UsedByMapsAsync(existing, maps, cancellationToken) is { } used)
        {
            return used;
        }
        if ((definition.Settings != existing.Settings || definition.Password != password)
            && await ConnectionProbe.TestAsync(definition.Settings, definition.Password, cancellationToken) is { } failure)
        {
            return CouldNotConnect(failure);
        }
        if (await connections.UpdateAsync(scope, id, definition, cancellationToken) is not { } updated)
        {
            return NameTaken(definition.Name);
        }
        await pools.ForgetAsync(id);
        if (updated.Name != existing.Name)
        {
            await catalog.ForgetConnectionAsync(scope.OrganizationId, existing.Name, cancellationToken);
        }
        return TypedResults.Ok(ConnectionView.Of(updated));
    }

    public static async Task<IResult> DeleteConnection([Description(ConnectionId)] Guid id, ClaimsPrincipal user, ConnectionStore connections, DataConnections pools,
        MapStore maps, CatalogStore catalog, CancellationToken cancellationToken)
    {
        var scope = ConnectionScope.Of(user);
        if (await connections.FindAsync(scope, id, cancellationToken) is not var (existing, _))
        {
            return NotFound();
        }
        if (MayChange(user, existing) is { } refused)
        {
            return refused;
        }
        if (await UsedByMapsAsync(existing, maps, cancellationToken) is { } used)
        {
            return used;
        }
        await connections.DeleteAsync(scope, id, cancellationToken);
        await pools.ForgetAsync(id);
        await catalog.ForgetConnectionAsync(scope.OrganizationId, existing.Name, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>A connection is changed by its owner; a shared one (or one nobody owns) by an admin too.</summary>
    private static IResult? MayChange(ClaimsPrincipal user, StoredConnection connection) =>
        connection.OwnerId is { } owner && owner == user.GetUserId()
        || (connection.Privacy == StoredConnection.SharedPrivacy || connection.OwnerId is null) && user.HasClaim(ApiTokenClaims.Scope, PlatformRoles.Admin)
            ? null
            : ProblemResults.Forbidden("Only the connection's owner, or an admin for a shared connection, changes or removes it.");

    /// <summary>Saved maps name their datasets' connection: one they use is neither removed nor renamed under them (CARTO's 409).</summary>
    private static async Task<IResult?> UsedByMapsAsync(StoredConnection connection, MapStore maps, CancellationToken cancellationToken) =>
        await maps.CountUsingConnectionAsync(connection.OrganizationId, connection.Name, cancellationToken) is var count and > 0
            ? ProblemResults.Conflict("Connection in use",
                $"{count} saved map(s) of the organization use the connection '{connection.Name}': change or remove them first.")
            : null;

    private static IResult CouldNotConnect(string failure) => ProblemResults.BadRequest("Could not connect", "could not connect: " + failure);

    private static IResult NameTaken(string name) =>
        ProblemResults.Conflict("Connection name taken", $"The organization has a connection named '{name}' already.");

    private static IResult NotFound() => ProblemResults.NotFound("Unknown connection", NoSuchConnection);
}
