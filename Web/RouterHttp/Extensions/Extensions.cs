using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;

namespace CartoSelfHosted.RouterHttp.Extensions;

internal static class Extensions
{
    private static readonly PathString ApiPath = "/api";

    // Tiles are not among them: maps-api compresses a tile once and the HTTP cache keeps it compressed.
    private static readonly string[] CompressedTypes =
    [
        "application/json", "application/problem+json", "application/geo+json", "text/csv",
        "text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
    ];

    public static void AddRouterServices(this WebApplicationBuilder builder)
    {
        // Kestrel's own loader reads only endpoints and certificates from its section; the limits (the body size every
        // route but imports keeps to) and the Server header are bound here.
        builder.WebHost.ConfigureKestrel(kestrel => builder.Configuration.GetSection("Kestrel").Bind(kestrel));
        // Each request runs on the I/O thread that read it, instead of being handed to the thread pool (and, with
        // DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, which AppHost sets, so does the service's answer HttpClient
        // reads): a proxy does little between two socket operations, and on two cores the hand-offs were most of its
        // cost (3.4 context switches a request). Safe because nothing on the router's path blocks a thread: every step
        // is asynchronous I/O, and the access log only queues (AccessLog). Measured in bench/README.md (tiles: the
        // router's CPU per cached tile).
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.AddAccessLog();
        builder.AddCrossOrigin();
        builder.AddProxy();
        // The services' own token check (the metadata database's api_tokens), for what goes to the HTTP cache (CacheCredentials).
        builder.AddApiTokenScheme();
        builder.Services.AddResponseCompression(options =>
        {
            options.EnableForHttps = true;
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
            options.MimeTypes = CompressedTypes;
        });
        // Per request: the fastest levels, which still shrink JSON and CSV several times.
        builder.Services.Configure<BrotliCompressionProviderOptions>(options => options.Level = CompressionLevel.Fastest);
        builder.Services.Configure<GzipCompressionProviderOptions>(options => options.Level = CompressionLevel.Fastest);
    }

    public static void UseRouterPipeline(this WebApplication app)
    {
        app.UseCrossOrigin();
        app.UseAllowedMethods();
        app.UseResponseCompression();
        // The web apps' files; an API path names none, and looking one up (a stat of the disk) on every tile was waste.
        app.UseWhen(context => !context.Request.Path.StartsWithSegments(ApiPath), web => web.UseStaticFiles());
        app.MapProxy();
        app.MapApiReference();
        // The web apps are single-page apps: a path that names no file gets their page (accounts under /acc/).
        app.MapFallbackToFile("/acc/{*path:nonfile}", "acc/index.html");
        app.MapFallbackToFile("index.html");
    }
}
