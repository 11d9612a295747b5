using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.Platform.Messaging.Subscriber;

/// <summary>A message ready for its handler: its id and type for the inbox, and its handler's run in a given transaction.</summary>
internal sealed record InboxEntry(Guid MessageId, string MessageType, Func<NpgsqlTransaction, Task> HandleAsync);

/// <summary>
/// Runs handlers in the metadata transaction that writes their messages' inbox rows, so that a message delivered again,
/// or sent again by the outbox, has its effects once. Alone (the default), a transaction per message. Committed together
/// (<see cref="SubscriberBuilder.CommitTogether"/>), as PostgreSQL commits its WAL: a message that arrives while every
/// committer is busy joins the batch waiting for the next one, which writes the batch's inbox rows in one statement,
/// runs their handlers one after another and commits them once. Under load that is one commit and one inbox statement
/// for many messages instead of one each; an idle subscription's message is a batch of one, at once. A handler that
/// fails is rolled back with its batch, and the others are run again without it in a new transaction: their effects
/// outside the transaction may then happen twice, which is why a subscription chooses it.
/// </summary>
internal sealed class InboxCommits
{
    private const string InsertInboxRowsSql = """
        INSERT INTO inbox_messages (subscription, message_id, message_type)
        SELECT $1, message_id, message_type FROM unnest($2::uuid[], $3::text[]) AS message (message_id, message_type)
        ORDER BY message_id
        ON CONFLICT DO NOTHING
        RETURNING message_id
        """;

    // Batches committed at once: while one commits, the next runs its handlers. Four (one per four of the tests' 16
    // handlers) made batches of about two messages under the tests' load; two, of three to four.
    private const int Committers = 2;

    private readonly string _subscription;
    private readonly MetadataDatabase _metadata;
    private readonly SemaphoreSlim? _committers;
    private readonly Lock _gate = new();
    private Batch? _gathering;

    /// <param name="commitTogether">Whether waiting messages share a transaction; if not, each message has its own.</param>
    public InboxCommits(string subscription, MetadataDatabase metadata, bool commitTogether)
    {
        _subscription = subscription;
        _metadata = metadata;
        _committers = commitTogether ? new SemaphoreSlim(Committers, Committers) : null;
    }

    /// <summary>Runs the entry's handler, unless its message was handled before; true when it ran, once its effects are committed.</summary>
    public async Task<bool> HandleAsync(InboxEntry entry, CancellationToken stopping)
    {
        if (_committers is null)
        {
            var alone = new Batch();
            var handled = alone.Add(entry, context: null);
            await alone.CommitAsync(this);
            return await handled;
        }

        Batch batch;
        Task<bool> result;
        bool leads;
        lock (_gate)
        {
            leads = _gathering is null;
            batch = _gathering ??= new Batch();
            // The handler runs in the committer's task: with this flow (its activity, its log scope), not the committer's.
            result = batch.Add(entry, ExecutionContext.Capture());
        }
        if (leads)
        {
            // The batch gathers until a committer is free. Not cancelled by stopping: others have joined it, and a
            // committer frees as soon as its batch ends (a stopping handler ends it).
            await _committers.WaitAsync(CancellationToken.None);
            try
            {
                lock (_gate)
                {
                    _gathering = null;
                }
                await batch.CommitAsync(this);
            }
            finally
            {
                _committers.Release();
            }
        }
        return await result.WaitAsync(stopping);
    }

    /// <summary>Messages that share a transaction; each learns its outcome from its own task.</summary>
    private sealed class Batch
    {
        private readonly List<Member> _members = [];

        public Task<bool> Add(InboxEntry entry, ExecutionContext? context)
        {
            var member = new Member(entry, context, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
            _members.Add(member);
            return member.Handled.Task;
        }

        public async Task CommitAsync(InboxCommits inbox)
        {
            var remaining = _members;
            while (remaining.Count > 0)
            {
                Member? running = null;
                try
                {
                    await using var connection = await inbox._metadata.DataSource.OpenConnectionAsync(CancellationToken.None);
                    await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
                    // Taken first and held to the commit: a copy of one of these messages handled at the same time
                    // elsewhere waits here, then sees it. In the ids' order, so that two batches never wait on each other.
                    var firstTime = await InsertInboxRowsAsync(connection, inbox._subscription, remaining);
                    var ran = new bool[remaining.Count];
                    for (var i = 0; i < remaining.Count; i++)
                    {
                        // A second copy of a message in the same batch finds its row written: it is not run again.
                        if (firstTime.Remove(remaining[i].Entry.MessageId))
                        {
                            running = remaining[i];
                            await running.RunAsync(transaction);
                            running = null;
                            ran[i] = true;
                        }
                    }
                    await transaction.CommitAsync(CancellationToken.None);
                    for (var i = 0; i < remaining.Count; i++)
                    {
                        remaining[i].Handled.TrySetResult(ran[i]);
                    }
                    return;
                }
                catch (Exception ex) when (running is not null)
                {
                    // Its handler failed (or stopped, when the service does): it takes that back alone, and the others
                    // run again without it.
                    running.Handled.TrySetException(ex);
                    remaining = remaining.Where(member => member != running).ToList();
                }
                catch (Exception ex)
                {
                    // The inbox, the commit or the connection failed: nothing was committed.
                    foreach (var member in remaining)
                    {
                        member.Handled.TrySetException(ex);
                    }
                    return;
                }
            }
        }

        private static async Task<HashSet<Guid>> InsertInboxRowsAsync(NpgsqlConnection connection, string subscription, List<Member> members)
        {
            await using var command = connection.CreateCommand(InsertInboxRowsSql, subscription,
                members.Select(member => member.Entry.MessageId).ToArray(), members.Select(member => member.Entry.MessageType).ToArray());
            var inserted = new HashSet<Guid>();
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
            while (await reader.ReadAsync(CancellationToken.None))
            {
                inserted.Add(reader.GetGuid(0));
            }
            return inserted;
        }
    }

    private sealed record Member(InboxEntry Entry, ExecutionContext? Context, TaskCompletionSource<bool> Handled)
    {
        public Task RunAsync(NpgsqlTransaction transaction)
        {
            if (Context is null)
            {
                return Entry.HandleAsync(transaction);
            }
            Task? running = null;
            ExecutionContext.Run(Context, _ => running = Entry.HandleAsync(transaction), null);
            return running!;
        }
    }
}
