using CartoSelfHosted.Platform.Catalog;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.WorkspaceSubscriber.Maps;

namespace CartoSelfHosted.WorkspaceSubscriber.Catalog;

/// <summary>
/// A table changed (an import, a SQL job): its catalog row is read again, or removed when the table is gone, and the
/// connection's cached listings are purged; saved maps whose datasets it was are marked broken when it was dropped, and
/// mended when it is made again. Running twice leaves the same rows.
/// </summary>
public sealed class TableChangedHandler(CatalogRefresher refresher, BrokenMapDatasets brokenMaps, ILogger<TableChangedHandler> logger)
    : IMessageHandler<DataChangedMessage>
{
    public async Task HandleAsync(DataChangedMessage message, MessageContext context, CancellationToken cancellationToken)
    {
        // Events come from the organization's own jobs and imports: the connection is one the organization shares.
        var scope = new ConnectionScope(message.OrganizationId, message.OrganizationSlug, UserId: null);
        await refresher.RefreshTableAsync(scope, message.Connection, message.Schema, message.Table, DateTimeOffset.UtcNow, cancellationToken);
        var maps = await brokenMaps.UpdateAsync(message, cancellationToken);
        logger.LogInformation("Catalog of {Connection} read {Schema}.{Table} again after it was {Change}; {Datasets} saved map datasets marked or mended",
            message.Connection, message.Schema, message.Table, message.Change, maps);
    }
}

/// <summary>A connection's catalog is read whole again, on request (a user's own database, whose changes the platform does not see).</summary>
public sealed class CatalogRefreshHandler(CatalogRefresher refresher, ILogger<CatalogRefreshHandler> logger) : IMessageHandler<CatalogRefreshRequested>
{
    public async Task HandleAsync(CatalogRefreshRequested message, MessageContext context, CancellationToken cancellationToken)
    {
        var scope = new ConnectionScope(message.OrganizationId, message.OrganizationSlug, message.UserId);
        var refreshed = await refresher.RefreshConnectionAsync(scope, message.Connection, cancellationToken);
        logger.LogInformation("Catalog of {Connection} {Outcome}", message.Connection, refreshed ? "read again" : "not read: the connection is gone");
    }
}
