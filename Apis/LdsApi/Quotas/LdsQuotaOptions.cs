namespace CartoSelfHosted.LdsApi.Quotas;

/// <summary>
/// The <c>Lds</c> configuration section: how many calls of each service an organization may make in a calendar month (UTC).
/// Read at every call, so a change of the settings holds at once.
/// </summary>
public sealed class LdsQuotaOptions
{
    public const string SectionName = "Lds";

    /// <summary>Every organization's monthly quota, unless <see cref="Organizations"/> says otherwise; a service left out is unlimited.</summary>
    public MonthlyQuotas MonthlyQuota { get; set; } = new();

    /// <summary>Monthly quotas of single organizations, by their slug; a service left out takes <see cref="MonthlyQuota"/>'s.</summary>
    public Dictionary<string, MonthlyQuotas> Organizations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The organization's quota of <paramref name="service"/>; null when it is unlimited.</summary>
    public long? QuotaOf(string organizationSlug, string service) =>
        (Organizations.TryGetValue(organizationSlug, out var own) ? own.Of(service) : null) ?? MonthlyQuota.Of(service);
}

/// <summary>Calls per calendar month of each service; null is no limit.</summary>
public sealed class MonthlyQuotas
{
    /// <summary>Geocodes and reverse geocodes; a batch counts each of its addresses.</summary>
    public long? Geocoding { get; set; }

    public long? Routing { get; set; }

    /// <summary>Isolines: a request counts each of its ranges.</summary>
    public long? Isolines { get; set; }

    public long? Of(string service) => service switch
    {
        LdsServices.Geocoding => Geocoding,
        LdsServices.Routing => Routing,
        LdsServices.Isolines => Isolines,
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, "Not an LDS service."),
    };
}

/// <summary>The services a quota is counted for, as <c>lds_usage.service</c> and the stats name them.</summary>
public static class LdsServices
{
    public const string Geocoding = "geocoding";
    public const string Routing = "routing";
    public const string Isolines = "isolines";

    public static readonly IReadOnlyList<string> All = [Geocoding, Routing, Isolines];
}
