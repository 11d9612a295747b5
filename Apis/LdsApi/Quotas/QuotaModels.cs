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
        usage.Quota is { } quota ? Math.Max(quota - usage.Used, 0) : null, usage.Month, usage.Month.AddMonths(1));
}
