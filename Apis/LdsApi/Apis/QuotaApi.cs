using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.LdsApi.Quotas;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.LdsApi.Apis;

/// <summary>
/// CARTO's LDS stats: the caller's organization's quota of each service this month and what it has used. And, for the
/// installation's admins, every organization's: the quotas they set for one organization in place of the configuration's.
/// </summary>
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

        var quotas = app.MapGroup("/api/v3/lds/quotas").WithTags("Quota").RequireAuthorization(PlatformPolicies.Administer)
            .AddEndpointFilter(async (context, next) => context.HttpContext.User.IsOfFirstOrganization()
                ? await next(context)
                : ProblemResults.Forbidden(PlatformPolicies.NotInstallationAdmin));
        quotas.MapGet("", ListOrganizations)
            .WithSummary("Every organization's quotas and use")
            .WithDescription("Each organization's monthly quota of each service, whether an admin set it here (`set_by: api`) or the " +
                "configuration gives it (`Lds:Organizations:<slug>`, else `Lds:MonthlyQuota`), and its use this month.")
            .Produces<OrganizationQuotas[]>()
            .WithProblem(StatusCodes.Status403Forbidden, PlatformPolicies.NotInstallationAdmin);
        quotas.MapGet("/{organization}", GetOrganization)
            .WithSummary("One organization's quotas and use")
            .WithDescription("The organization's monthly quota of each service, where it comes from (`set_by`), and its use this month.")
            .Produces<OrganizationQuotas>()
            .WithProblem(StatusCodes.Status403Forbidden, PlatformPolicies.NotInstallationAdmin)
            .WithProblem(StatusCodes.Status404NotFound, "No organization has this slug.");
        quotas.MapPut("/{organization}/{service}", SetQuota)
            .WithSummary("Set an organization's quota of a service")
            .WithDescription("In place of the configuration's: `{\"monthly_quota\": 1000}` calls a month, or `{\"unlimited\": true}`. " +
                "It holds at once on the replica that answers and within a second on the others; a quota below this month's use " +
                "refuses every further call until the month ends. The answer is the organization's quotas as they are now.")
            .Produces<OrganizationQuotas>()
            .WithProblem(StatusCodes.Status400BadRequest, "Neither or both of `monthly_quota` and `unlimited`, or a negative quota.")
            .WithProblem(StatusCodes.Status403Forbidden, PlatformPolicies.NotInstallationAdmin)
            .WithProblem(StatusCodes.Status404NotFound, "No organization has this slug, or the service is not `geocoding`, `routing` or `isolines`.");
        quotas.MapDelete("/{organization}/{service}", RemoveQuota)
            .WithSummary("Give an organization's quota of a service back to the configuration")
            .WithDescription("The quota set with PUT is dropped: the configuration's applies again. The answer is the organization's " +
                "quotas as they are now.")
            .Produces<OrganizationQuotas>()
            .WithProblem(StatusCodes.Status403Forbidden, PlatformPolicies.NotInstallationAdmin)
            .WithProblem(StatusCodes.Status404NotFound, "No organization has this slug, or the service is not `geocoding`, `routing` or `isolines`.");
        return app;
    }

    public static async Task<IResult> Stats(ClaimsPrincipal user, LdsQuota quota, CancellationToken cancellationToken) =>
        TypedResults.Ok((await quota.UsageAsync(user.GetOrganizationId(), cancellationToken)).Select(ServiceQuota.From).ToList());

    public static async Task<IResult> ListOrganizations(LdsQuota quota, CancellationToken cancellationToken) =>
        TypedResults.Ok((await quota.OrganizationsUsageAsync(null, cancellationToken)).Select(OrganizationQuotas.From).ToList());

    public static async Task<IResult> GetOrganization([Description("The organization's slug.")] string organization, LdsQuota quota,
        CancellationToken cancellationToken) =>
        await FindAsync(quota, organization, cancellationToken) is { } found
            ? TypedResults.Ok(OrganizationQuotas.From(found))
            : NoSuchOrganization(organization);

    public static async Task<IResult> SetQuota([Description("The organization's slug.")] string organization,
        [Description("`geocoding`, `routing` or `isolines`.")] string service, QuotaChange change, LdsQuota quota,
        QuotasSetByAdmins setByAdmins, CancellationToken cancellationToken)
    {
        if (change.Unlimited == true ? change.MonthlyQuota is not null : change.MonthlyQuota is null)
        {
            return ProblemResults.BadRequest("No quota", "The body is {\"monthly_quota\": <calls a month>} or {\"unlimited\": true}.");
        }
        if (change.MonthlyQuota < 0)
        {
            return ProblemResults.BadRequest("Negative quota", "monthly_quota is a number of calls, 0 or more.");
        }
        return await ChangeAsync(quota, organization, service,
            (organizationId, cancellation) => setByAdmins.SetAsync(organizationId, service, change.MonthlyQuota, cancellation), cancellationToken);
    }

    public static async Task<IResult> RemoveQuota([Description("The organization's slug.")] string organization,
        [Description("`geocoding`, `routing` or `isolines`.")] string service, LdsQuota quota, QuotasSetByAdmins setByAdmins,
        CancellationToken cancellationToken) =>
        await ChangeAsync(quota, organization, service,
            (organizationId, cancellation) => setByAdmins.RemoveAsync(organizationId, service, cancellation), cancellationToken);

    private static async Task<IResult> ChangeAsync(LdsQuota quota, string organization, string service, Func<Guid, CancellationToken, Task> change,
        CancellationToken cancellationToken)
    {
        if (!LdsServices.All.Contains(service))
        {
            return ProblemResults.NotFound("No such service", $"'{service}' is not a service with a quota; they are {string.Join(", ", LdsServices.All)}.");
        }
        if (await FindAsync(quota, organization, cancellationToken) is not { } found)
        {
            return NoSuchOrganization(organization);
        }
        await change(found.Id, cancellationToken);
        return TypedResults.Ok(OrganizationQuotas.From((await FindAsync(quota, organization, cancellationToken))!));
    }

    private static async Task<OrganizationUsage?> FindAsync(LdsQuota quota, string organization, CancellationToken cancellationToken) =>
        (await quota.OrganizationsUsageAsync(organization, cancellationToken)).SingleOrDefault();

    private static IResult NoSuchOrganization(string organization) =>
        ProblemResults.NotFound("No such organization", $"No organization has the slug '{organization}'.");
}
