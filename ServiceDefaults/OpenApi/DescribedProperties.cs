using System.ComponentModel;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CartoSelfHosted.ServiceDefaults.OpenApi;

/// <summary>
/// A property's <see cref="DescriptionAttribute"/> in its schema. ASP.NET Core applies it to most properties, but not to
/// one whose schema is "any JSON" (a <c>JsonElement?</c>, such as <c>queryParameters</c>), which would go undescribed.
/// </summary>
internal sealed class DescribedProperties : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Description is null
            && context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(DescriptionAttribute), inherit: true) is [DescriptionAttribute described, ..])
        {
            schema.Description = described.Description;
        }
        return Task.CompletedTask;
    }
}
