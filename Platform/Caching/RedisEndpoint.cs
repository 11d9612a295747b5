namespace CartoSelfHosted.Platform.Caching;

/// <summary>A Redis address in the Aspire connection-string form <c>host:port</c> (options after a comma are ignored).</summary>
public sealed record RedisEndpoint(string Host, int Port)
{
    public static RedisEndpoint Parse(string connectionString)
    {
        var address = connectionString.Split(',')[0].Trim();
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address[(colon + 1)..], out var port)
            ? new RedisEndpoint(address[..colon], port)
            : new RedisEndpoint(address, 6379);
    }

    public override string ToString() => $"{Host}:{Port}";
}
