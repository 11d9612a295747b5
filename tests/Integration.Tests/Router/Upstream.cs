using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using CartoSelfHosted.RouterHttp.Routing;
using CartoSelfHosted.ServiceDefaults.OpenApi;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.Integration.Tests.Router;

/// <summary>
/// A service behind the router, on a loopback port of its own: it says what reached it, streams, and takes its time,
/// as the tests ask. The router tests point every cluster of router-http at it.
/// </summary>
public sealed class Upstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Upstream(WebApplication app, int port)
    {
        _app = app;
        Address = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    public string Address { get; }

    public static byte[] GzippedTile { get; } = Gzip(new byte[20_000]);

    /// <summary>Set when a streamed upload's first bytes reached the service.</summary>
    public TaskCompletionSource<long> UploadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed by a test to let a streamed answer finish.</summary>
    public TaskCompletionSource FinishStream { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<Upstream> StartAsync()
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var upstream = new Upstream(app, port);

        // What the router sent: its own headers, the path it asked for and the body.
        app.MapMethods("/api/v3/{**rest}", ["GET", "HEAD", "POST", "DELETE"], async (HttpRequest request) => Results.Json(new
        {
            path = request.Path.Value + request.QueryString.Value,
            body = await new StreamReader(request.Body).ReadToEndAsync(),
            requestId = request.Headers["X-Request-Id"].ToString(),
            router = request.Headers["X-Router"].ToString(),
            forwardedHost = request.Headers["X-Forwarded-Host"].ToString(),
            origin = request.Headers.Origin.ToString(),
            acceptEncoding = request.Headers.AcceptEncoding.ToString(),
            authorization = request.Headers.Authorization.ToString(),
            tokenLimits = request.Headers[CacheCredentials.LimitsHeader].ToString(),
            expect = request.Headers.Expect.ToString(),
        }));
        // An OpenAPI document, as every service publishes one: the path it was asked at, and whether a token came with it.
        app.MapGet(ApiDocument.Path, (HttpRequest request) => Results.Json(new
        {
            openapi = "3.1.1",
            path = request.Path.Value,
            authorization = request.Headers.Authorization.ToString(),
        }));
        app.MapGet("/api/v3/sql/carto_dw/stream", async (HttpResponse response) =>
        {
            response.ContentType = "text/csv";
            await response.WriteAsync("first line\n");
            await response.Body.FlushAsync();
            await upstream.FinishStream.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await response.WriteAsync("last line\n");
        });
        app.MapGet("/api/v3/sql/carto_dw/slow", async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
            return Results.Ok();
        });
        app.MapGet("/api/v3/maps/big.json", () => Results.Json(Enumerable.Range(0, 5_000).Select(i => new { id = i, name = $"feature {i}" })));
        // A tile as the HTTP cache keeps it: compressed once, upstream of the router.
        app.MapGet("/api/v3/maps/carto_dw/table/t1/0/0/0", (HttpResponse response) =>
        {
            response.Headers.ContentEncoding = "gzip";
            return Results.Bytes(GzippedTile, "application/vnd.mapbox-vector-tile");
        });
        app.MapPost("/api/v3/imports/upload", async (HttpRequest request) =>
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer)) > 0)
            {
                total += read;
                upstream.UploadStarted.TrySetResult(total);
            }
            return Results.Json(new { bytes = total });
        });
        await app.StartAsync();
        return upstream;
    }

    public static async Task<JsonElement> ReadEchoAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        FinishStream.TrySetResult();
        await _app.DisposeAsync();
    }
}
