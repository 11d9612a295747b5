namespace CartoSelfHosted.Platform.Caching;

/// <summary>What a RESP2 reply is. RESP2's null bulk string and null array are both <see cref="Null"/>.</summary>
public enum RedisReplyKind
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Null,
}

/// <summary>
/// One reply. An error reply is a reply like any other, not an exception: in a pipeline, one command's error does not
/// hide the other commands' replies.
/// </summary>
public sealed class RedisReply
{
    public static readonly RedisReply Null = new(RedisReplyKind.Null, null, 0, null, []);

    private RedisReply(RedisReplyKind kind, string? text, long integer, byte[]? bytes, RedisReply[] elements) =>
        (Kind, Text, Integer, Bytes, Elements) = (kind, text, integer, bytes, elements);

    public RedisReplyKind Kind { get; }

    /// <summary>A simple string's text, or an error's message.</summary>
    public string? Text { get; }

    public long Integer { get; }

    /// <summary>A bulk string's bytes.</summary>
    public byte[]? Bytes { get; }

    /// <summary>An array's elements; empty for any other kind.</summary>
    public IReadOnlyList<RedisReply> Elements { get; }

    public bool IsNull => Kind == RedisReplyKind.Null;

    public bool IsError => Kind == RedisReplyKind.Error;

    internal static RedisReply SimpleString(string text) => new(RedisReplyKind.SimpleString, text, 0, null, []);

    internal static RedisReply Error(string message) => new(RedisReplyKind.Error, message, 0, null, []);

    internal static RedisReply FromInteger(long integer) => new(RedisReplyKind.Integer, null, integer, null, []);

    internal static RedisReply BulkString(byte[] bytes) => new(RedisReplyKind.BulkString, null, 0, bytes, []);

    internal static RedisReply Array(RedisReply[] elements) => new(RedisReplyKind.Array, null, 0, null, elements);

    /// <summary>Without a bulk string's content: it can be a cached value, and values are never logged.</summary>
    public override string ToString() => Kind switch
    {
        RedisReplyKind.SimpleString => "+" + Text,
        RedisReplyKind.Error => "-" + Text,
        RedisReplyKind.Integer => ":" + Integer,
        RedisReplyKind.BulkString => $"bulk string of {Bytes!.Length} bytes",
        RedisReplyKind.Array => $"array of {Elements.Count}",
        _ => "null",
    };
}
