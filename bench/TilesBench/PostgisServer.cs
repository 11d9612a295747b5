using CartoSelfHosted.MapsApi.Maps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.TilesBench;

/// <summary>
/// The floor for an uncached tile: the tile SQL maps-api runs for a table source (<see cref="TileRenderer.TableTileSql"/>,
/// built once per source from its definition in the metadata database), over one pool, behind Kestrel, and nothing
/// else — no token, no source lookup, no Redis, no cache headers. Like maps-api's, the statement is not prepared.
/// </summary>
public static class PostgisServer
{
    private const int PoolSize = 32;

    public static async Task RunAsync(int port, string warehouse, string metadata, IReadOnlyList<string> sourceIds)
    {
        var sql = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var metadataSource = NpgsqlDataSource.Create(metadata))
        {
            foreach (var id in sourceIds)
            {
                await using var command = metadataSource.CreateCommand("SELECT definition::text FROM map_sources WHERE id = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = id });
                var source = MapSource.FromJson((string)(await command.ExecuteScalarAsync()
                    ?? throw new InvalidOperationException($"no map source {id} in the metadata database")));
                sql[id] = TileRenderer.TableTileSql(source, source.TileTable
                    ?? throw new InvalidOperationException($"map source {id} is not a table"), TileFormat.Mvt);
            }
        }
        await using var pool = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(warehouse) { MaxPoolSize = PoolSize }.ConnectionString);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/{id}/{z:int}/{x:int}/{y:int}", async (string id, int z, int x, int y, CancellationToken cancellationToken) =>
        {
            await using var command = pool.CreateCommand(sql[id]);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = z });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = x });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = y });
            return await command.ExecuteScalarAsync(cancellationToken) is byte[] tile
                ? Results.Bytes(tile, "application/vnd.mapbox-vector-tile")
                : Results.NoContent();
        });
        await app.RunAsync();
    }
}
