using CartoSelfHosted.WorkspaceApi.Health;

namespace CartoSelfHosted.WorkspaceApi.Apis;

public static class PlatformHealthApi
{
    public static IEndpointRouteBuilder MapPlatformHealthApi(this IEndpointRouteBuilder app)
    {
        // Public like every health endpoint: it names services and their state, never an address or a secret.
        app.MapGet("/api/v3/health", GetPlatformHealth).AllowAnonymous()
            .WithTags("Health")
            .WithSummary("The platform's health")
            .WithDescription("workspace-api's own checks and those of every service of the platform, asked now. " +
                "`status` is the worst of them: Healthy, Degraded (a service works without something optional, such as Redis) or Unhealthy.")
            .Produces<PlatformHealthReport>()
            .Produces<PlatformHealthReport>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<IResult> GetPlatformHealth(PlatformHealth health, CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(cancellationToken);
        return Results.Json(report, statusCode: report.Status == "Unhealthy"
            ? StatusCodes.Status503ServiceUnavailable
            : StatusCodes.Status200OK);
    }
}
