using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

public static class SecurityExtensions
{
    /// <summary>The public API's path prefix: everything under it needs a token.</summary>
    public static readonly PathString ApiPrefix = "/api/v3";

    public const string BootstrapTokenKey = "Auth:BootstrapToken";

    /// <summary>An API's authentication: every endpoint needs a token (<see cref="UseApiTokenAuthentication"/>) unless it says otherwise.</summary>
    public static IHostApplicationBuilder AddApiTokenAuthentication(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenScheme();
        builder.Services.AddAuthentication(ApiTokenAuthenticationHandler.SchemeName);
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(PlatformPolicies.Edit, policy => policy.RequireClaim(ApiTokenClaims.Scope, PlatformRoles.Admin, PlatformRoles.Editor))
            .AddPolicy(PlatformPolicies.Administer, policy => policy.RequireClaim(ApiTokenClaims.Scope, PlatformRoles.Admin));

        if (!string.IsNullOrWhiteSpace(builder.Configuration[BootstrapTokenKey]))
        {
            // Registered after the metadata migrations (AddMetadataDatabase above), so its table exists when it runs.
            builder.Services.AddHostedService<BootstrapTokenService>();
        }
        return builder;
    }

    /// <summary>
    /// The token check alone, as a scheme a request is authenticated with when asked (<see cref="ApiTokenAuthenticationHandler.SchemeName"/>):
    /// neither the default scheme nor a rule that anything needs a token. For the router, which serves pages to anyone.
    /// </summary>
    public static IHostApplicationBuilder AddApiTokenScheme(this IHostApplicationBuilder builder)
    {
        builder.AddMetadataDatabase();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<ApiTokenStore>();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        return builder;
    }

    public static WebApplication UseApiTokenAuthentication(this WebApplication app)
    {
        app.UseAuthentication();
        // Unmatched paths under /api/v3 never reach authorization, so without this gate they would answer 404
        // to anyone and let a caller without a token map the API.
        app.Use(async (context, next) =>
        {
            var anonymousAllowed = context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (context.Request.Path.StartsWithSegments(ApiPrefix) && !anonymousAllowed
                && context.User.Identity?.IsAuthenticated != true)
            {
                await context.ChallengeAsync();
                return;
            }
            // What anyone may call (health, sign-in, the API documents) stays open to any token, too.
            if (!anonymousAllowed && await ApiAccessTokens.RefuseAsync(context))
            {
                return;
            }
            await next(context);
        });
        app.UseAuthorization();
        return app;
    }
}

/// <summary>
/// Stores the configured bootstrap token as the default organization's admin token — in development only (what
/// <c>./run.sh</c> runs): an installation marked otherwise has only the credentials its people make, so there the
/// setting is refused with a warning.
/// </summary>
internal sealed class BootstrapTokenService(ApiTokenStore tokens, IConfiguration configuration, IHostEnvironment environment,
    ILogger<BootstrapTokenService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment())
        {
            logger.LogWarning("{Setting} is set but ignored: the development token is for development installations only, and this one is {Environment}",
                SecurityExtensions.BootstrapTokenKey, environment.EnvironmentName);
            return Task.CompletedTask;
        }
        return tokens.StoreAsync(configuration[SecurityExtensions.BootstrapTokenKey]!, MetadataDatabase.DefaultOrganizationId,
            ApiTokens.DevelopmentTokenName, [PlatformRoles.Admin], cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
