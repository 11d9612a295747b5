using System.Globalization;
using CartoSelfHosted.ServiceDefaults.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every API's OpenAPI document (Microsoft.AspNetCore.OpenApi), made the same way: at <see cref="ApiDocument.Path"/>,
/// readable without a token, titled after the service, with the bearer scheme and the problems every API shares.
/// </summary>
public static class ApiDocumentExtensions
{
    /// <summary>
    /// Registers the service's document. <paramref name="title"/> is the name the platform knows the service by
    /// (<c>maps-api</c>); <paramref name="description"/> says what it answers, in a sentence or two.
    /// </summary>
    public static IHostApplicationBuilder AddApiDocument(this IHostApplicationBuilder builder, string title, string description)
    {
        builder.Services.AddOpenApi(ApiDocument.Name, options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                // CARTO's API v3, which every path carries.
                document.Info = new OpenApiInfo { Title = title, Description = description, Version = "v3" };
                // No server: a caller reaches every API at the router's origin, the one the document was read from. The
                // address the service sees itself at is behind the router, and no use to anyone outside.
                document.Servers = [];
                return Task.CompletedTask;
            });
            options.AddDocumentTransformer<ApiTokenSecurity>();
            options.AddOperationTransformer<ApiTokenSecurity>();
            options.AddSchemaTransformer<ProblemSchema>();
            options.AddSchemaTransformer<DescribedProperties>();
        });
        return builder;
    }

    /// <summary>Maps the document. It describes the API and holds no data, so it needs no token.</summary>
    public static WebApplication MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi(ApiDocument.Path).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Documents a problem (RFC 9457) the endpoint answers with <paramref name="statusCode"/>, saying
    /// <paramref name="when"/>: what a caller reads beside the status in the reference, where a bare reason phrase
    /// ("Not Found") would say nothing about this endpoint.
    /// </summary>
    public static RouteHandlerBuilder WithProblem(this RouteHandlerBuilder endpoint, int statusCode, string when)
    {
        var key = statusCode.ToString(CultureInfo.InvariantCulture);
        return endpoint.ProducesProblem(statusCode).AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.GetValueOrDefault(key) is OpenApiResponse response)
            {
                response.Description = when;
            }
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Documents an older path kept for older clients as deprecated, naming the path that answers the same today: it is in the
    /// reference (every mapped endpoint is) without inviting new clients to it.
    /// </summary>
    public static RouteHandlerBuilder AsOlderPathOf(this RouteHandlerBuilder endpoint, string currentPath) =>
        endpoint.WithSummary($"Older path of {currentPath}")
            .WithDescription($"The same as `{currentPath}`, for older clients.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Deprecated = true;
                return Task.CompletedTask;
            });
}
