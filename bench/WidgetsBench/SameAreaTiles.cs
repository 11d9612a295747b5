using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CartoSelfHosted.Platform.Tiles;

namespace CartoSelfHosted.WidgetsBench;

/// <summary>
/// A quadbin tile next to the vector tile of the same area: the table instantiated twice through the router — as a
/// quadbin source binning its points (<c>count(*)</c>, 6 levels of cells below each tile, CARTO's default) and as a vector
/// source — and the same tiles (z5 over Europe, in turn) asked of each by GET, each request with a <c>cache</c> value of
/// its own so that neither Varnish nor Redis answers: every tile is made by maps-api and PostgreSQL.
/// </summary>
public static partial class SameAreaTiles
{
    private static readonly (int Z, int X, int Y)[] Tiles =
        [.. from x in Enumerable.Range(14, 5) from y in Enumerable.Range(9, 4) select (5, x, y)];

    public static async Task<(WidgetRounds.Side Quadbin, WidgetRounds.Side Vector)> CreateAsync(HttpClient client, string router,
        AuthenticationHeaderValue authorization, string table)
    {
        var quadbin = await TemplateAsync(client, router, authorization,
            $"name={table}&spatialDataType=quadbin&spatialDataColumn=geom&aggregationExp=count(*)%20AS%20count&aggregationResLevel=6");
        var vector = await TemplateAsync(client, router, authorization, $"name={table}");
        var next = -1;
        (int Z, int X, int Y) Tile(out int request)
        {
            request = Interlocked.Increment(ref next);
            return Tiles[request % Tiles.Length];
        }
        return (
            new WidgetRounds.Side("quadbin", () =>
            {
                var (z, x, y) = Tile(out var request);
                return GetAsync(client, authorization, Uncached(quadbin, request).Replace("{i}", Quadbin.ToHex(Quadbin.FromTile(z, x, y))));
            }),
            new WidgetRounds.Side("vector", () =>
            {
                var (z, x, y) = Tile(out var request);
                return GetAsync(client, authorization, Uncached(vector, request).Replace("{z}", $"{z}").Replace("{x}", $"{x}").Replace("{y}", $"{y}"));
            }));
    }

    private static async Task<string> TemplateAsync(HttpClient client, string router, AuthenticationHeaderValue authorization, string parameters)
    {
        using var instantiation = new HttpRequestMessage(HttpMethod.Get, $"{router.TrimEnd('/')}/api/v3/maps/carto_dw/table?{parameters}");
        instantiation.Headers.Authorization = authorization;
        using var answer = await client.SendAsync(instantiation);
        answer.EnsureSuccessStatusCode();
        var map = await answer.Content.ReadFromJsonAsync<JsonElement>();
        using var tileJsonRequest = new HttpRequestMessage(HttpMethod.Get, map.GetProperty("tilejson").GetProperty("url")[0].GetString());
        tileJsonRequest.Headers.Authorization = authorization;
        using var tileJson = await client.SendAsync(tileJsonRequest);
        tileJson.EnsureSuccessStatusCode();
        return (await tileJson.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tiles")[0].GetString()!;
    }

    /// <summary>The template with a <c>cache</c> value no request had before: a miss in Varnish and in Redis.</summary>
    private static string Uncached(string template, int request) => CacheValue().Replace(template, $"cache={1_000_000_000 + request}");

    private static async Task<string> GetAsync(HttpClient client, AuthenticationHeaderValue authorization, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        using var response = await client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? $"{bytes.Length} bytes" : throw new InvalidOperationException($"{(int)response.StatusCode} from {url}");
    }

    [GeneratedRegex(@"cache=\d+")]
    private static partial Regex CacheValue();
}
