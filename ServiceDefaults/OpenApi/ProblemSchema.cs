using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CartoSelfHosted.ServiceDefaults.OpenApi;

/// <summary>
/// Problem details (RFC 9457) in the documents as the platform writes them (ServiceDefaults/Problems): ASP.NET Core's
/// <see cref="ProblemDetails"/> schema with the members every service and the router add to it.
/// </summary>
internal sealed class ProblemSchema : IOpenApiSchemaTransformer
{
    public const string ContentType = "application/problem+json";

    /// <summary>The component ASP.NET Core files <see cref="ProblemDetails"/> under, which ProducesProblem refers to.</summary>
    private const string ComponentName = nameof(ProblemDetails);

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type != typeof(ProblemDetails))
        {
            return Task.CompletedTask;
        }
        schema.Description = "A problem (RFC 9457). Other members may follow, such as `sqlState`, `position` and `hint` of a refused SQL statement.";
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        if (schema.Properties.TryGetValue("type", out var property) && property is OpenApiSchema type)
        {
            type.Description = "The kind of problem, a stable URI (`https://carto-self-hosted.dev/problems/not-found`): branch on it, never on `title` or `detail`.";
        }
        schema.Properties["error"] = Text("What went wrong, as CARTO's clients show it: the `detail`, else the `title`.");
        schema.Properties["traceId"] = Text("The request's trace (W3C trace id), to find it in the dashboard.");
        schema.Properties["requestId"] = Text("The request's `X-Request-Id` (the router gives every request one).");
        return Task.CompletedTask;
    }

    /// <summary>A reference to the problem schema, filed in the document's components if no endpoint filed it yet.</summary>
    public static async Task<OpenApiSchemaReference> ReferenceAsync(OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancellationToken);
        context.Document!.AddComponent<IOpenApiSchema>(ComponentName, schema);
        return new OpenApiSchemaReference(ComponentName, context.Document);
    }

    public static OpenApiResponse Response(string description, OpenApiSchemaReference problem) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { [ContentType] = new() { Schema = problem } },
    };

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
}
