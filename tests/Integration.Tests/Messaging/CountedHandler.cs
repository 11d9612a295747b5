using System.Diagnostics;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Postgres;

namespace CartoSelfHosted.Integration.Tests.Messaging;

/// <summary>A test message: what its handler does is asked for in the message itself.</summary>
public sealed record CountedMessage(int Sequence, bool FailFirstAttempt = false, bool AlwaysFail = false, int DelayMilliseconds = 0)
    : IMessage
{
    public static string MessageType => "test-counted";
}

/// <summary>
/// Counts each handling of a message in <c>test_counted</c>, in the inbox's transaction, and records the order of
/// handling, the transaction and the trace the handler ran in. The count is not kept unique by the table: a handler
/// whose effects ran twice shows as 2.
/// </summary>
public sealed class CountedHandler : IMessageHandler<CountedMessage>
{
    public const string TableSql = """
        CREATE TABLE test_counted (
            sequence          int PRIMARY KEY,
            handled_count     int NOT NULL,
            delivery_attempt  int NOT NULL,
            position          bigint NOT NULL,
            message_id        uuid NOT NULL,
            trace_id          text,
            committed_in      xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        CREATE SEQUENCE test_counted_position;
        """;

    public async Task HandleAsync(CountedMessage message, MessageContext context, CancellationToken cancellationToken)
    {
        if (message.DelayMilliseconds > 0)
        {
            await Task.Delay(message.DelayMilliseconds, cancellationToken);
        }
        await context.Connection.ExecuteAsync("""
            INSERT INTO test_counted (sequence, handled_count, delivery_attempt, position, message_id, trace_id)
            VALUES ($1, 1, $2, nextval('test_counted_position'), $3, $4)
            ON CONFLICT (sequence) DO UPDATE SET handled_count = test_counted.handled_count + 1
            """, cancellationToken, message.Sequence, context.DeliveryAttempt, context.MessageId,
            (object?)Activity.Current?.TraceId.ToHexString() ?? DBNull.Value);
        // After the write, so a failure also proves the write is undone with the inbox row.
        if (message.AlwaysFail || (message.FailFirstAttempt && context.DeliveryAttempt == 1))
        {
            throw new InvalidOperationException($"message {message.Sequence} fails on purpose");
        }
    }
}
