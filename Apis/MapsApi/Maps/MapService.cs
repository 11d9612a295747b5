using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Tiles;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>
/// What the Maps API serves for a source, with Redis in front of what is costly to make again: statistics (for the
/// instantiation and TileJSON) and tiles that took long to make. Redis keys carry the source's id and <c>cache</c>
/// value and are tagged with its surrogate keys, which cdn-invalidator drops when a table changes. Without Redis every
/// answer is made afresh, and is the same.
/// </summary>
public sealed class MapService(MapSourceStore store, SourceStatsReader statsReader, TileRenderer renderer,
    QuadbinTileRenderer quadbinRenderer, PreparedTileTables prepared, RedisCache redis, IOptions<MapsApiOptions> options)
{
    public Task<PreparedTileTable?> PrepareAsync(MapSource source, CancellationToken cancellationToken) =>
        source.TileTable is { } table ? prepared.EnsureAsync(table, cancellationToken) : Task.FromResult<PreparedTileTable?>(null);

    public Task<long> CacheValueAsync(MapSource source, CancellationToken cancellationToken) => store.CacheValueAsync(source, cancellationToken);

    public async Task<SourceStats> StatsAsync(MapSource source, DataConnection connection, long cacheValue, CancellationToken cancellationToken)
    {
        var key = $"maps:{source.Id}:{cacheValue}:stats";
        if (await redis.GetAsync(key, cancellationToken) is { } cached)
        {
            return JsonSerializer.Deserialize<SourceStats>(cached, JsonSerializerOptions.Web)!;
        }
        await using var session = await connection.OpenAsync(cancellationToken);
        // Never committed: the connection's return to the pool rolls it back.
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        var stats = await statsReader.ReadAsync(session, source, cancellationToken);
        await redis.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(stats, JsonSerializerOptions.Web), options.Value.RedisTimeToLive,
            source.CacheTags, cancellationToken);
        return stats;
    }

    /// <summary>The tile's bytes; empty when it has no feature.</summary>
    public Task<byte[]> TileAsync(MapSource source, DataConnection connection, string cacheValue, int z, int x, int y, TileFormat format,
        CancellationToken cancellationToken) =>
        CachedTileAsync(source, $"maps:{source.Id}:{cacheValue}:{format}:{z}/{x}/{y}",
            () => renderer.RenderAsync(source, connection, z, x, y, format, cancellationToken), cancellationToken);

    /// <summary>A quadbin source's tile (a cell) as CARTO's spatial tile; empty when it has no cell.</summary>
    public Task<byte[]> QuadbinTileAsync(MapSource source, DataConnection connection, string cacheValue, long tile,
        CancellationToken cancellationToken) =>
        CachedTileAsync(source, $"maps:{source.Id}:{cacheValue}:quadbin:{Quadbin.ToHex(tile)}",
            () => quadbinRenderer.RenderAsync(source, connection, tile, cancellationToken), cancellationToken);

    private async Task<byte[]> CachedTileAsync(MapSource source, string key, Func<Task<byte[]?>> render, CancellationToken cancellationToken)
    {
        if (await redis.GetAsync(key, cancellationToken) is { } cached)
        {
            return cached;
        }
        var started = Stopwatch.GetTimestamp();
        var tile = await render() ?? [];
        if (Stopwatch.GetElapsedTime(started) >= options.Value.RedisTileMinimumCost)
        {
            await redis.SetAsync(key, tile, options.Value.RedisTimeToLive, source.CacheTags, cancellationToken);
        }
        return tile;
    }
}
