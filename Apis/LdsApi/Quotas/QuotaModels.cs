using System.ComponentModel;
using System.Text.Json.Serialization;

namespace CartoSelfHosted.LdsApi.Quotas;

/// <summary>One service's quota and use this month, as <c>GET /api/v3/lds/stats</c> lists them.</summary>
public sealed record ServiceQuota(
    [property: Description("`geocoding` (geocodes, reverse geocodes, each address of a batch), `routing` or `isolines` (each range).")]
    string Service,
    [property: Description("Who answers the service: `carto-self-hosted`, the installation's own open data.")] string Provider,
    [property: Description("Calls the organization may make this month; null when it is unlimited.")]
    [property: JsonPropertyName("monthly_quota")] long? MonthlyQuota,
    [property: Description("Calls made this month.")] [property: JsonPropertyName("used_quota")] long UsedQuota,
    [property: Description("Calls left this month; null when the quota is unlimited.")]
    [property: JsonPropertyName("available_quota")] long? AvailableQuota,
    [property: Description("The month's first day (UTC).")] [property: JsonPropertyName("period_start")] DateOnly PeriodStart,
    [property: Description("The next month's first day (UTC), when the use starts again from 0.")]
    [property: JsonPropertyName("period_end")] DateOnly PeriodEnd)
{
    /// <summary>The provider every answer of this installation comes from: its own data, no outside service.</summary>
    public const string OwnProvider = "carto-self-hosted";

    public static ServiceQuota From(ServiceUsage usage) => new(usage.Service, OwnProvider, usage.Quota, usage.Used,
        usage.Left, usage.Month, usage.Month.AddMonths(1));
}

/// <summary>An organization's quota and use of each service this month, as <c>GET /api/v3/lds/quotas</c> lists them for the installation's admins.</summary>
public sealed record OrganizationQuotas(
    [property: Description("The organization's slug, which the quota's path names.")] string Organization,
    [property: Description("The organization's name.")] string Name,
    [property: Description("`geocoding`, `routing` and `isolines`, in this order.")] IReadOnlyList<AdministeredQuota> Services)
{
    public static OrganizationQuotas From(OrganizationUsage usage) =>
        new(usage.Slug, usage.Name, [.. usage.Services.Select(AdministeredQuota.From)]);
}

/// <summary>One service's quota of an organization, where it comes from, and its use this month.</summary>
public sealed record AdministeredQuota(
    [property: Description("`geocoding`, `routing` or `isolines`.")] string Service,
    [property: Description("Calls the organization may make this month; null when it is unlimited.")]
    [property: JsonPropertyName("monthly_quota")] long? MonthlyQuota,
    [property: Description("`api` when an admin set it with `PUT /api/v3/lds/quotas/{organization}/{service}`; `configuration` when " +
        "the settings give it (`Lds:Organizations:<slug>`, else `Lds:MonthlyQuota`).")]
    [property: JsonPropertyName("set_by")] string SetBy,
    [property: Description("Calls made this month.")] [property: JsonPropertyName("used_quota")] long UsedQuota,
    [property: Description("Calls left this month; null when the quota is unlimited.")]
    [property: JsonPropertyName("available_quota")] long? AvailableQuota)
{
    public static AdministeredQuota From(ServiceUsage usage) => new(usage.Service, usage.Quota,
        usage.QuotaSetForOrganization ? "api" : "configuration", usage.Used, usage.Left);
}

/// <summary>The body of <c>PUT /api/v3/lds/quotas/{organization}/{service}</c>: a number of calls a month, or unlimited.</summary>
public sealed record QuotaChange(
    [property: Description("Calls a month, 0 or more.")] [property: JsonPropertyName("monthly_quota")] long? MonthlyQuota,
    [property: Description("true for no limit, in place of `monthly_quota`.")] bool? Unlimited);
