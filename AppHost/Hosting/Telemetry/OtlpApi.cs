using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// The dashboard's OTLP/HTTP receiver (protobuf), where AppHost points every service's
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> unless it was given another one, as Aspire's dashboard is.
/// Traces are kept for the dashboard; logs and metrics are accepted and dropped (the console output is shown
/// per resource already).
/// </summary>
public static class OtlpApi
{
    private const string Protobuf = "application/x-protobuf";
    private const int MaxExportBytes = 16 * 1024 * 1024;

    public static IEndpointRouteBuilder MapOtlpReceiver(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/traces", async (HttpContext context, TraceStore traces) =>
        {
            if (await ReadExportAsync(context) is not { } body)
            {
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }
            try
            {
                traces.Add(OtlpTraceDecoder.Decode(body));
            }
            catch (Google.Protobuf.InvalidProtocolBufferException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an OTLP trace export", detail: ex.Message);
            }
            // An empty ExportTraceServiceResponse: everything was accepted.
            return Results.Bytes([], Protobuf);
        });
        app.MapPost("/v1/logs", async (HttpContext context) => await ReadExportAsync(context) is null
            ? Results.StatusCode(StatusCodes.Status413PayloadTooLarge)
            : Results.Bytes([], Protobuf));
        app.MapPost("/v1/metrics", async (HttpContext context) => await ReadExportAsync(context) is null
            ? Results.StatusCode(StatusCodes.Status413PayloadTooLarge)
            : Results.Bytes([], Protobuf));

        app.MapGet("/api/traces", (TraceStore traces, string? service, int limit = 50) =>
            traces.Recent(Math.Clamp(limit, 1, 500), service));
        app.MapGet("/api/traces/{traceId}", (TraceStore traces, string traceId) => traces.Trace(traceId));
        return app;
    }

    private static async Task<byte[]?> ReadExportAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxExportBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
