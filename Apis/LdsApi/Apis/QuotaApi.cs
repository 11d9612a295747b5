using System.Security.Claims;
using CartoSelfHosted.LdsApi.Quotas;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.LdsApi.Apis;

/// <summary>CARTO's LDS stats: the caller's organization's quota of each service this month and what it has used.</summary>
public static class QuotaApi
{
    public static IEndpointRouteBuilder MapQuotaApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/lds").WithTags("Quota").AcceptsApiAccessTokens(CartoApis.Lds);
        api.MapGet("/stats", Stats)
            .WithSummary("Quota and use of each service")
            .WithDescription("The organization's monthly quota of each service (`geocoding`, `routing`, `isolines`), the calls made this " +
                "calendar month (UTC) and those left. A call with a problem for an answer is not counted; a call past the quota is a 429 " +
                "problem whose `Retry-After` is the next month's first day.")
            .Produces<ServiceQuota[]>();
        // Older clients' name of the same answer.
        api.MapGet("/quota", Stats).AsOlderPathOf("GET /api/v3/lds/stats").Produces<ServiceQuota[]>();
        return app;
    }

    public static async Task<IResult> Stats(ClaimsPrincipal user, LdsQuota quota, CancellationToken cancellationToken) =>
        TypedResults.Ok((await quota.UsageAsync(user.GetOrganizationId(), user.GetOrganizationSlug(), cancellationToken))
            .Select(ServiceQuota.From).ToList());
}
