using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Subscriber;

namespace CartoSelfHosted.CdnInvalidator.Purging;

/// <summary>
/// A table changed: the HTTP cache drops what was made from it (answers tagged with the table) and the organization's
/// SQL answers (a query's answer is not tied to the tables it read).
/// </summary>
public sealed class DataChangedHandler(HttpCachePurger purger, ILogger<DataChangedHandler> logger) : IMessageHandler<DataChangedMessage>
{
    public async Task HandleAsync(DataChangedMessage message, MessageContext context, CancellationToken cancellationToken)
    {
        string[] keys =
        [
            SurrogateKeys.Table(message.Connection, message.Schema, message.Table),
            SurrogateKeys.OrganizationQueries(message.OrganizationSlug),
        ];
        await purger.PurgeAsync(keys, cancellationToken);
        logger.LogInformation("Purged {Keys} from the HTTP cache: {Schema}.{Table} {Change}", string.Join(' ', keys), message.Schema,
            message.Table, message.Change);
    }
}
