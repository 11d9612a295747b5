namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// Redis could not be asked: it is unreachable, did not answer in time, is being skipped while its circuit is open,
/// or every pooled connection stayed busy. Whatever was asked may not have happened, so a caller that must not lose it
/// (an invalidation) tries again later. The message names no key and no value.
/// </summary>
public sealed class RedisUnavailableException : Exception
{
    public RedisUnavailableException(string message) : base(message)
    {
    }

    public RedisUnavailableException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>The server sent something that is not RESP2. An <see cref="IOException"/>: the connection cannot be trusted with another command.</summary>
internal sealed class RedisProtocolException(string message) : IOException(message);
