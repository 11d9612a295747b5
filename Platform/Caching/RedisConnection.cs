using System.IO.Pipelines;
using System.Net.Sockets;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// One TCP connection speaking RESP2, used by one caller at a time. An exchange that does not finish (a timeout, a
/// cancellation, a dropped socket) leaves it broken for good: a reply might still be on its way, and it would be read as
/// the answer to the next command.
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly PipeReader _pipe;
    private readonly RespWriter _writer;
    private readonly RespReader _reader;

    private RedisConnection(TcpClient client, int generation)
    {
        _client = client;
        _stream = client.GetStream();
        // Large reads: a tile of a few MB arrives in tens of reads, not thousands.
        _pipe = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _writer = new RespWriter(_stream);
        _reader = new RespReader(_pipe);
        Generation = generation;
    }

    /// <summary>The pool's generation when this connection was opened: after a failure, older connections are not reused.</summary>
    public int Generation { get; }

    public bool IsBroken { get; private set; }

    /// <summary>Whether an exchange has completed on it before: if such a connection fails, it may just have gone stale while idle.</summary>
    public bool HasAnswered { get; private set; }

    public static async Task<RedisConnection> ConnectAsync(RedisEndpoint endpoint, int generation, CancellationToken cancellationToken)
    {
        // No Nagle delay: a command is written whole, and waiting to merge it with a next one only adds latency.
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            return new RedisConnection(client, generation);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends the commands in one write, then reads one reply per command, in order.</summary>
    public async Task<RedisReply[]> ExecuteAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsBroken, this);
        IsBroken = true;
        await _writer.WriteAsync(commands, cancellationToken);
        var replies = new RedisReply[commands.Count];
        for (var i = 0; i < replies.Length; i++)
        {
            replies[i] = await _reader.ReadAsync(cancellationToken);
        }
        IsBroken = false;
        HasAnswered = true;
        return replies;
    }

    public void Dispose()
    {
        IsBroken = true;
        _pipe.Complete();
        _writer.Dispose();
        _stream.Dispose();
        _client.Dispose();
    }
}
