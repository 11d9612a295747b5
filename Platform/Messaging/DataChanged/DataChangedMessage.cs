namespace CartoSelfHosted.Platform.Messaging.DataChanged;

/// <summary>
/// A warehouse table's rows or shape changed (or it was created or dropped), published on the data-changed topic
/// with the table as ordering key, so caches of tiles and queries and the dataset catalog refresh.
/// </summary>
public sealed record DataChangedMessage(Guid OrganizationId, string OrganizationSlug, string Connection, string Schema, string Table,
    string Change, string Source, Guid? JobId) : IMessage
{
    public static string MessageType => "data-changed";

    public string OrderingKey => $"{Connection}:{Schema}.{Table}";

    public static class Changes
    {
        public const string Created = "created";
        public const string Rows = "rows";
        public const string Altered = "altered";
        public const string Dropped = "dropped";
    }
}
