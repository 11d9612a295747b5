using System.Globalization;
using System.Security.Cryptography;
using CartoSelfHosted.Platform.Connections;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>
/// Cache headers of what maps-api makes from a source (instantiation, TileJSON, tiles, GeoJSON): browsers keep it as
/// CARTO has them (30 minutes for a table, long for a query, whose URLs carry a <c>cache</c> value that changes with its
/// data), the HTTP cache keeps it under the surrogate keys of its connection and tables until cdn-invalidator purges
/// them, and an <c>ETag</c> makes a conditional request a 304.
/// </summary>
public sealed class MapCaching(IOptions<MapsApiOptions> options)
{
    public TimeSpan Duration(MapSource source) => DataConnection.MaxAge(source.Connection,
        source.Kind == MapSource.TableKind ? options.Value.TableCacheDuration : options.Value.QueryCacheDuration);

    /// <summary>Sets the headers; true when the client's <c>If-None-Match</c> already names these bytes (answer 304).</summary>
    public bool Apply(HttpContext httpContext, MapSource source, ReadOnlySpan<byte> body, bool browserMayKeep = true)
    {
        var headers = httpContext.Response.Headers;
        var seconds = ((long)Duration(source).TotalSeconds).ToString(CultureInfo.InvariantCulture);
        // `private`: answers are per token. The HTTP cache keys them by token too and reads Surrogate-Control instead.
        headers.CacheControl = browserMayKeep ? "private, max-age=" + seconds : "private, no-cache";
        headers["Surrogate-Control"] = "max-age=" + seconds;
        headers["xkey"] = string.Join(' ', source.CacheTags);
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body), 0, 16) + "\"";
        headers.ETag = etag;
        return httpContext.Request.Headers.IfNoneMatch.Any(value =>
            value is not null && (value == "*" || value.Split(',').Any(tag => tag.Trim() == etag || tag.Trim() == "W/" + etag)));
    }

    /// <summary>An answer that must not be kept anywhere (a POSTed instantiation).</summary>
    public static void NoStore(HttpContext httpContext) => httpContext.Response.Headers.CacheControl = "no-store";

    /// <summary>The scheme and host the client used (the router's, when it came through it), for absolute URLs.</summary>
    public static string PublicOrigin(HttpRequest request)
    {
        var scheme = request.Headers["X-Forwarded-Proto"].FirstOrDefault() is { Length: > 0 } proto ? proto : request.Scheme;
        var host = request.Headers["X-Forwarded-Host"].FirstOrDefault() is { Length: > 0 } forwarded ? forwarded : request.Host.Value;
        return $"{scheme}://{host}";
    }
}
