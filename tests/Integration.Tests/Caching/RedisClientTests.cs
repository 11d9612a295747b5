using System.Text;
using CartoSelfHosted.Platform.Caching;

namespace CartoSelfHosted.Integration.Tests.Caching;

/// <summary>The RESP client against the shared test Redis.</summary>
public sealed class RedisClientTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APipelineOfAThousandCommandsGetsEveryReplyInOrder()
    {
        await using var client = Redis.Client(options => options.PoolSize = 1);
        var prefix = Redis.UniquePrefix("pipeline");
        var sets = Enumerable.Range(0, 1000).Select(i => new RedisCommand("SET", prefix + i, i * 3)).ToList();
        var gets = Enumerable.Range(0, 1000).Select(i => new RedisCommand("GET", prefix + i)).ToList();

        var setReplies = await client.ExecuteAsync(sets, Cancel);
        var getReplies = await client.ExecuteAsync(gets, Cancel);

        Assert.All(setReplies, reply => Assert.Equal("OK", reply.Text));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (i * 3).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            getReplies.Select(reply => Encoding.UTF8.GetString(reply.Bytes!)));
    }

    [Fact]
    public async Task APipelineOfLargeValuesSendsAndReadsEachWhole()
    {
        await using var client = Redis.Client();
        var prefix = Redis.UniquePrefix("large-pipeline");
        // Sizes on both sides of the size from which a value is written on its own, not copied into the buffer.
        var values = new[] { 16 * 1024 - 1, 16 * 1024, 1_000_000, 5, 2_500_000 }.Select((size, i) => Redis.Bytes(size, i)).ToArray();

        var commands = values.Select((value, i) => new RedisCommand("SET", prefix + i, value, "PX", 60_000))
            .Concat(values.Select((_, i) => new RedisCommand("GET", prefix + i))).ToList();
        var replies = await client.ExecuteAsync(commands, Cancel);

        Assert.All(replies.Take(values.Length), reply => Assert.Equal("OK", reply.Text));
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i], replies[values.Length + i].Bytes);
        }
    }

    [Fact]
    public async Task RepliesOfEveryKindAreRead()
    {
        await using var client = Redis.Client();
        var prefix = Redis.UniquePrefix("kinds");
        var replies = await client.ExecuteAsync([
            new RedisCommand("PING"),
            new RedisCommand("INCRBY", prefix + "counter", 5),
            new RedisCommand("GET", prefix + "missing"),
            new RedisCommand("SET", prefix + "empty", Array.Empty<byte>()),
            new RedisCommand("GET", prefix + "empty"),
            new RedisCommand("HINCRBY", prefix + "empty", "field", 1),
            new RedisCommand("EVAL", "return {1, {2, 'x', {}}, false, 'y'}", 0),
            // A watched key changed before EXEC: the transaction is dropped, and EXEC answers a null array.
            new RedisCommand("WATCH", prefix + "watched"),
            new RedisCommand("SET", prefix + "watched", "changed"),
            new RedisCommand("MULTI"),
            new RedisCommand("GET", prefix + "watched"),
            new RedisCommand("EXEC"),
            new RedisCommand("ECHO", "after all that"),
        ], Cancel);

        Assert.Equal((RedisReplyKind.SimpleString, "PONG"), (replies[0].Kind, replies[0].Text));
        Assert.Equal((RedisReplyKind.Integer, 5L), (replies[1].Kind, replies[1].Integer));
        Assert.Equal(RedisReplyKind.Null, replies[2].Kind);
        Assert.Equal(RedisReplyKind.BulkString, replies[4].Kind);
        Assert.Empty(replies[4].Bytes!);
        Assert.Equal(RedisReplyKind.Error, replies[5].Kind);
        Assert.StartsWith("WRONGTYPE", replies[5].Text);

        var nested = replies[6];
        Assert.Equal(RedisReplyKind.Array, nested.Kind);
        Assert.Equal(4, nested.Elements.Count);
        Assert.Equal(1, nested.Elements[0].Integer);
        Assert.Equal(RedisReplyKind.Array, nested.Elements[1].Kind);
        Assert.Equal(2, nested.Elements[1].Elements[0].Integer);
        Assert.Equal("x"u8.ToArray(), nested.Elements[1].Elements[1].Bytes);
        Assert.Equal(RedisReplyKind.Array, nested.Elements[1].Elements[2].Kind);
        Assert.Empty(nested.Elements[1].Elements[2].Elements);
        Assert.Equal(RedisReplyKind.Null, nested.Elements[2].Kind);
        Assert.Equal("y"u8.ToArray(), nested.Elements[3].Bytes);

        Assert.Equal("QUEUED", replies[10].Text);
        Assert.Equal(RedisReplyKind.Null, replies[11].Kind);
        Assert.Equal("after all that"u8.ToArray(), replies[12].Bytes);
    }

    [Fact]
    public async Task ALongArrayArrivingInManyReadsIsReadWhole()
    {
        await using var client = Redis.Client();
        var list = Redis.UniquePrefix("long-array") + "list";
        var elements = Enumerable.Range(0, 20_000).Select(i => Redis.Bytes(100, i)).ToList();
        foreach (var chunk in elements.Chunk(1000))
        {
            Assert.Equal(RedisReplyKind.Integer,
                (await client.ExecuteAsync(new RedisCommand("RPUSH", [list, .. chunk.Select(bytes => (RedisArgument)bytes)]), Cancel)).Kind);
        }

        var reply = await client.ExecuteAsync(new RedisCommand("LRANGE", list, 0, -1), Cancel);
        await client.ExecuteAsync(new RedisCommand("DEL", list), Cancel);

        Assert.Equal(elements, reply.Elements.Select(element => element.Bytes!));
    }

    [Fact]
    public async Task AConnectionRedisClosedIsDroppedAndTheNextCallOpensANewOne()
    {
        await using var client = Redis.Client(options => options.PoolSize = 1);
        await using var other = Redis.Client();
        var first = (await client.ExecuteAsync(new RedisCommand("CLIENT", "ID"), Cancel)).Integer;

        Assert.Equal(1, (await other.ExecuteAsync(new RedisCommand("CLIENT", "KILL", "ID", first), Cancel)).Integer);

        await Assert.ThrowsAsync<RedisUnavailableException>(() => client.ExecuteAsync(new RedisCommand("CLIENT", "ID"), Cancel));
        // A connection that went stale is no outage: the very next call gets through, on a new connection.
        var second = (await client.ExecuteAsync(new RedisCommand("CLIENT", "ID"), Cancel)).Integer;
        Assert.NotEqual(first, second);
        Assert.True(await client.PingAsync(Cancel));
    }

    [Fact]
    public async Task ACallTheCallerCancelledLeavesNoReplyBehindForTheNextCall()
    {
        await using var client = Redis.Client(options => (options.PoolSize, options.OperationTimeout) = (1, TimeSpan.FromSeconds(10)));
        var key = Redis.UniquePrefix("cancelled") + "list";
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        cancelled.CancelAfter(TimeSpan.FromMilliseconds(200));

        // BLPOP blocks only its own connection; its (null) reply comes after the caller has gone.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync(new RedisCommand("BLPOP", key, 1), cancelled.Token));
        var reply = await client.ExecuteAsync(new RedisCommand("ECHO", "mine"), Cancel);

        Assert.Equal("mine"u8.ToArray(), reply.Bytes);
        // The caller's cancellation is no outage: the circuit stays closed.
        Assert.True(await client.PingAsync(Cancel));
    }

    [Fact]
    public async Task TwoHundredParallelCallsOverFourConnectionsEachGetTheirOwnReply()
    {
        // A generous timeout: two hundred calls queue for four connections on a busy machine.
        await using var client = Redis.Client(options => (options.PoolSize, options.OperationTimeout) = (4, TimeSpan.FromSeconds(20)));
        await using var cache = Redis.Cache(client);
        var prefix = Redis.UniquePrefix("parallel");

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var value = Redis.Bytes(1 + i * 7919 % 40_000, i);
            await cache.SetAsync(prefix + i, value, TimeSpan.FromMinutes(1), [prefix + "tag" + i % 5], Cancel);
            var read = await cache.GetAsync(prefix + i, Cancel);
            // A pipeline too, so replies of single calls and of pipelines interleave on the connections.
            var pipelined = await client.ExecuteAsync([new RedisCommand("ECHO", prefix + i), new RedisCommand("GET", prefix + i)], Cancel);
            return read is not null && read.AsSpan().SequenceEqual(value)
                && pipelined[0].Bytes!.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(prefix + i))
                && pipelined[1].Bytes!.AsSpan().SequenceEqual(value);
        }));

        Assert.Equal(200, results.Count(correct => correct));
        var everything = await client.ExecuteAsync(Enumerable.Range(0, 200).Select(i => new RedisCommand("GET", prefix + i)).ToList(), Cancel);
        Assert.All(everything.Select((reply, i) => (reply, i)),
            item => Assert.Equal(Redis.Bytes(1 + item.i * 7919 % 40_000, item.i), item.reply.Bytes));
    }
}
