using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Catalog;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.WorkspaceApi.Apis;

/// <summary>
/// The dataset catalog of a connection, as the data explorer browses it: schemas, then their tables and views, then one
/// with its columns. Answers come from the catalog kept in the metadata database (read whole the first time a connection
/// is listed, then kept current by workspace-subscriber on data-changed events, and read again on request); the HTTP
/// cache keeps them per token under the connection's catalog key, which workspace-subscriber purges when it changes.
/// </summary>
public static class CatalogApi
{
    private const int DefaultPageSize = 30;
    private const int MaxPageSize = 1000;
    private const string ConnectionName = "The connection's name (`carto_dw` or one the caller may use).";
    private const string UnknownConnection = "The caller may use no connection of this name.";

    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/connections/{connection}/resources").WithTags("Catalog");
        api.MapGet("", ListSchemas)
            .WithSummary("The schemas of a connection")
            .WithDescription("`{items: [{name, type: \"schema\", tables}], page, page_size, total}`: the schemas holding tables or views the " +
                "connection may read.")
            .Produces<CatalogListing<SchemaItem>>()
            .WithProblem(StatusCodes.Status400BadRequest, $"`page` below 1, or `page_size` outside 1 to {MaxPageSize}.")
            .WithProblem(StatusCodes.Status404NotFound, UnknownConnection);
        api.MapGet("/{schema}", ListTables)
            .WithSummary("The tables and views of a schema")
            .WithDescription("Each with its kind, columns and types, geometry column, geometry type and SRID, rows (exact up to 100,000, else " +
                "PostgreSQL's estimate, `row_count_estimated`), size in bytes, bounds in degrees and last change.")
            .Produces<CatalogListing<CatalogTable>>()
            .WithProblem(StatusCodes.Status400BadRequest, $"`page` below 1, or `page_size` outside 1 to {MaxPageSize}.")
            .WithProblem(StatusCodes.Status404NotFound, UnknownConnection);
        api.MapGet("/{schema}/{table}", GetTable)
            .WithSummary("One table or view")
            .WithDescription("What the schema's listing says of it.")
            .Produces<CatalogTable>()
            .WithProblem(StatusCodes.Status404NotFound, "An unknown connection, or no such table or view the connection may read.");
        api.MapPost("/refresh", RequestRefresh)
            .WithSummary("Read the connection's catalog again")
            .WithDescription("For a database whose changes the platform does not see (tables made outside its imports and jobs): " +
                "workspace-subscriber reads it whole again, shortly; the answer is 202.")
            .Produces(StatusCodes.Status202Accepted)
            .WithProblem(StatusCodes.Status404NotFound, UnknownConnection);
        return app;
    }

    public static async Task<IResult> ListSchemas([Description(ConnectionName)] string connection,
        [Description("The page, from 1.")] int? page, [Description($"Schemas per page, 1 to 1000 (30).")] [FromQuery(Name = "page_size")] int? pageSize,
        ClaimsPrincipal user, HttpResponse response, CatalogStore catalog, CatalogRefresher refresher, CancellationToken cancellationToken)
    {
        if (Paging(page, pageSize) is not var (number, size))
        {
            return InvalidPaging();
        }
        if (!await EnsureCataloguedAsync(user, connection, catalog, refresher, cancellationToken))
        {
            return ConnectionProblems.Unknown(connection);
        }
        var found = await catalog.ListSchemasAsync(user.GetOrganizationId(), connection, number, size, cancellationToken);
        Cache(response, user, connection);
        return TypedResults.Ok(new CatalogListing<SchemaItem>(found.Items.Select(schema => new SchemaItem(schema.Name, "schema", schema.Tables)).ToList(),
            found.Page, found.PageSize, found.Total));
    }

    public static async Task<IResult> ListTables([Description(ConnectionName)] string connection, [Description("The schema.")] string schema,
        [Description("The page, from 1.")] int? page, [Description("Tables per page, 1 to 1000 (30).")] [FromQuery(Name = "page_size")] int? pageSize,
        ClaimsPrincipal user, HttpResponse response, CatalogStore catalog, CatalogRefresher refresher, CancellationToken cancellationToken)
    {
        if (Paging(page, pageSize) is not var (number, size))
        {
            return InvalidPaging();
        }
        if (!await EnsureCataloguedAsync(user, connection, catalog, refresher, cancellationToken))
        {
            return ConnectionProblems.Unknown(connection);
        }
        var found = await catalog.ListTablesAsync(user.GetOrganizationId(), connection, schema, number, size, cancellationToken);
        Cache(response, user, connection);
        return TypedResults.Ok(new CatalogListing<CatalogTable>(found.Items, found.Page, found.PageSize, found.Total));
    }

    public static async Task<IResult> GetTable([Description(ConnectionName)] string connection, [Description("The schema.")] string schema,
        [Description("The table or view.")] string table, ClaimsPrincipal user, HttpResponse response, CatalogStore catalog,
        CatalogRefresher refresher, CancellationToken cancellationToken)
    {
        if (!await EnsureCataloguedAsync(user, connection, catalog, refresher, cancellationToken))
        {
            return ConnectionProblems.Unknown(connection);
        }
        if (await catalog.FindTableAsync(user.GetOrganizationId(), connection, schema, table, cancellationToken) is not { } found)
        {
            return ProblemResults.NotFound("Unknown table", $"The connection '{connection}' has no table or view '{schema}.{table}' it may read.");
        }
        Cache(response, user, connection);
        return TypedResults.Ok(found);
    }

    public static async Task<IResult> RequestRefresh([Description(ConnectionName)] string connection, ClaimsPrincipal user,
        DataConnections connections, MetadataDatabase metadata, CancellationToken cancellationToken)
    {
        var scope = ConnectionScope.Of(user);
        if (await connections.FindAsync(scope, connection, cancellationToken) is null)
        {
            return ConnectionProblems.Unknown(connection);
        }
        var request = new CatalogRefreshRequested(scope.OrganizationId, scope.OrganizationSlug, scope.UserId, connection);
        await using var session = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        await OutboxWriter.EnqueueAsync(transaction, MessagingTopology.Topics.WorkspaceEvents, request, request.OrderingKey, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v3/connections/{Uri.EscapeDataString(connection)}/resources");
    }

    /// <summary>
    /// Whether the caller may use the connection; a connection listed for the first time is read whole first, so no
    /// listing ever comes from a catalog that was never made.
    /// </summary>
    private static async Task<bool> EnsureCataloguedAsync(ClaimsPrincipal user, string connection, CatalogStore catalog, CatalogRefresher refresher,
        CancellationToken cancellationToken)
    {
        var scope = ConnectionScope.Of(user);
        if (await catalog.IsCataloguedAsync(scope.OrganizationId, connection, cancellationToken))
        {
            // The catalog is the organization's; the caller must still be one who may use the connection (a private one is its owner's).
            return await refresher.MayUseAsync(scope, connection, cancellationToken);
        }
        return await refresher.RefreshConnectionAsync(scope, connection, cancellationToken);
    }

    /// <summary>Kept by the HTTP cache (per token) until workspace-subscriber purges the connection's catalog key; browsers ask again.</summary>
    private static void Cache(HttpResponse response, ClaimsPrincipal user, string connection)
    {
        response.Headers.CacheControl = "private, no-cache";
        response.Headers["Surrogate-Control"] = "max-age=" + ((long)CatalogCacheDuration.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        response.Headers["xkey"] = SurrogateKeys.Catalog(user.GetOrganizationId(), connection);
    }

    /// <summary>How long the HTTP cache keeps a listing at most: changes purge it sooner; a removed connection's listings go with it.</summary>
    private static readonly TimeSpan CatalogCacheDuration = TimeSpan.FromMinutes(5);

    private static (int Page, int PageSize)? Paging(int? page, int? pageSize) =>
        (page ?? 1, pageSize ?? DefaultPageSize) is var (number, size) && number >= 1 && size is >= 1 and <= MaxPageSize ? (number, size) : null;

    private static IResult InvalidPaging() =>
        ProblemResults.BadRequest("Invalid paging", $"page is 1 or more, and page_size 1 to {MaxPageSize}.");
}

/// <summary>A page of a catalog listing, in the shape CARTO's CLI prints (<c>connections browse</c>); search answers its hits so too.</summary>
public sealed record CatalogListing<T>(
    IReadOnlyList<T> Items,
    int Page,
    [property: JsonPropertyName("page_size")] int PageSize,
    long Total);

public sealed record SchemaItem(string Name, string Type, long Tables);
