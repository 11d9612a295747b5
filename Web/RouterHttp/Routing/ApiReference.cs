using CartoSelfHosted.ServiceDefaults.OpenApi;
using Scalar.AspNetCore;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// One API reference over every service's OpenAPI document, at <see cref="Path"/> (Scalar.AspNetCore). The documents come
/// through the router itself: each route of the section <c>ReverseProxy</c> with <see cref="DocumentMetadata"/> in its
/// metadata (the service's title in the reference) forwards to that service's <see cref="ApiDocument.Path"/>. The page and its scripts are served
/// from Scalar's assembly, and nothing of Scalar's own services is switched on, so it works with no way out of the machine.
/// </summary>
public static class ApiReference
{
    public const string Path = "/api/docs";

    /// <summary>Route metadata: the route serves the OpenAPI document of the service it names (its title in the reference).</summary>
    public const string DocumentMetadata = "ApiDocument";

    /// <summary>Sends a document route to the one path where every service publishes its document.</summary>
    public static void AddDocumentTransform(TransformBuilderContext transforms)
    {
        if (transforms.Route.Metadata?.ContainsKey(DocumentMetadata) == true)
        {
            transforms.AddPathSet(ApiDocument.Path);
        }
    }

    /// <summary>Maps the reference UI, with a document for each document route, in the order of their names.</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        var documentRoutes = app.Configuration.GetSection("ReverseProxy:Routes").GetChildren()
            .Where(route => route[$"Metadata:{DocumentMetadata}"] is not null)
            .ToList();
        app.MapScalarApiReference(Path, options =>
        {
            options.WithTitle("CartoSelfHosted API reference")
                .AddPreferredSecuritySchemes([ApiDocument.BearerScheme])
                // What would reach out to Scalar's services: its fonts' CDN, telemetry, the AI agent, the MCP server, and
                // the developer tools (Share, Generate SDK, Deploy: Scalar's cloud; shown on localhost unless hidden).
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools();
            foreach (var route in documentRoutes)
            {
                var path = route["Match:Path"]!;
                options.AddDocument(System.IO.Path.GetFileNameWithoutExtension(path), route[$"Metadata:{DocumentMetadata}"]!, path);
            }
        });
        return app;
    }
}
