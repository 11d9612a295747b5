using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CartoSelfHosted.ServiceDefaults.OpenApi;

/// <summary>
/// The API token, as every API's document states it: the bearer scheme, required by every operation that does not allow
/// anonymous callers, and what such an operation answers when the token does not do. It mirrors Platform/Security, whose
/// fallback policy needs an authenticated caller on every endpoint that is not marked anonymous.
/// </summary>
internal sealed class ApiTokenSecurity : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.AddComponent<IOpenApiSecurityScheme>(ApiDocument.BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API token of the organization, or a user's access token from `POST /api/v3/accounts/signin` " +
                "(both `cst_…`), sent as `Authorization: Bearer <token>`. " +
                "`./run.sh` prints the development token and keeps it in `.data/dev-token`.",
        });
        return Task.CompletedTask;
    }

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiDocument.BearerScheme, context.Document)] = [] }];
        operation.Responses ??= [];
        var problem = await ProblemSchema.ReferenceAsync(context, cancellationToken);
        operation.Responses.TryAdd(StatusCodes.Status401Unauthorized.ToString(CultureInfo.InvariantCulture),
            ProblemSchema.Response("No token, or one that is malformed, unknown, revoked or expired (`WWW-Authenticate: Bearer`).", problem));
        operation.Responses.TryAdd(StatusCodes.Status503ServiceUnavailable.ToString(CultureInfo.InvariantCulture),
            ProblemSchema.Response("The token cannot be checked right now (the metadata database does not answer): try again after `Retry-After`.",
                problem));
    }
}
