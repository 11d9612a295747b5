using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Tiles;
using CartoSelfHosted.Platform.Warehouse;

namespace CartoSelfHosted.CdnInvalidator.Purging;

/// <summary>
/// A table changed. In this order, so that nothing refills a cache with the old data: its version is counted (new map
/// instantiations get a new <c>cache</c> value), its prepared tile copies are rebuilt (or dropped with it), Redis drops
/// what is tagged with the table, and the HTTP cache drops what was made from it (answers tagged with the table) and
/// the organization's SQL answers (a query's answer is not tied to the tables it read). Every step may run twice.
/// </summary>
public sealed class DataChangedHandler(TableVersions versions, PreparedTileTables prepared, RedisCache redis, HttpCachePurger purger,
    ILogger<DataChangedHandler> logger) : IMessageHandler<DataChangedMessage>
{
    public async Task HandleAsync(DataChangedMessage message, MessageContext context, CancellationToken cancellationToken)
    {
        var tableKey = SurrogateKeys.Table(message.Connection, message.Schema, message.Table);
        await versions.IncrementAsync(message, cancellationToken);
        var refreshed = message.Connection == WarehouseDatabase.BuiltInConnectionName
            ? await prepared.RefreshAsync(message.Schema, message.Table, cancellationToken)
            : 0;
        RedisUnavailableException? redisDown = null;
        long dropped = 0;
        try
        {
            dropped = await redis.InvalidateTagsAsync([tableKey], cancellationToken);
        }
        catch (RedisUnavailableException ex)
        {
            // While Redis is down maps-api does not read it, so the HTTP cache is purged all the same; the event is then
            // retried, so Redis does not come back holding the old tiles.
            redisDown = ex;
        }
        string[] keys = [tableKey, SurrogateKeys.OrganizationQueries(message.OrganizationSlug)];
        await purger.PurgeAsync(keys, cancellationToken);
        if (redisDown is not null)
        {
            throw new InvalidOperationException($"Purged {string.Join(' ', keys)}, but Redis could not drop the table's keys; retrying.", redisDown);
        }
        logger.LogInformation("{Schema}.{Table} {Change}: {Refreshed} tile copies rebuilt, {Dropped} Redis keys dropped, purged {Keys}",
            message.Schema, message.Table, message.Change, refreshed, dropped, string.Join(' ', keys));
    }
}
