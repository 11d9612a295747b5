using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartoSelfHosted.LdsApi.Geocoding;

/// <summary>A place an address may name, as lds.geocode finds it.</summary>
public sealed record GeocodeCandidate(
    [property: Description("The place's GeoNames id.")] long Id,
    [property: Description("The place's name.")] string Name,
    [property: Description("Its first-level administrative area (state, region, province), when GeoNames names one.")] string? Admin1,
    [property: Description("Its second-level administrative area (county, department), when GeoNames names one.")] string? Admin2,
    [property: Description("ISO 3166-1 alpha-2.")] [property: JsonPropertyName("country_code")] string CountryCode,
    [property: Description("The country's common English name.")] string Country,
    double Latitude,
    double Longitude,
    [property: Description("People living there, as GeoNames counts them (0 when unknown).")] int Population,
    [property: Description("0 to 1: how well the name matches, the place's size, and whether it lies in the region and country the " +
        "address names.")] double Relevance,
    [property: Description("`exact` (the place's own name), `alternate_name` (another of its names) or `fuzzy` (a misspelling of one).")]
    [property: JsonPropertyName("match_type")] string MatchType)
{
    [Description("Name, admin1 and country, as a label.")]
    public string Address => string.Join(", ", new[] { Name, Admin1, Country }.Where(part => !string.IsNullOrEmpty(part)).Distinct());
}

/// <summary>The place a point is at: the region holding it and the nearest populated place of its country.</summary>
public sealed record ReverseCandidate(
    [property: Description("The nearest populated place's GeoNames id.")] long Id,
    [property: Description("The nearest populated place (a larger one preferred to a slightly nearer village).")] string Name,
    [property: Description("The place's first-level administrative area, by GeoNames.")] string? Admin1,
    [property: Description("The place's second-level administrative area, by GeoNames.")] string? Admin2,
    [property: Description("ISO 3166-1 alpha-2.")] [property: JsonPropertyName("country_code")] string CountryCode,
    [property: Description("The country's common English name.")] string Country,
    [property: Description("The place's latitude.")] double Latitude,
    [property: Description("The place's longitude.")] double Longitude,
    [property: Description("People living in the place.")] int Population,
    [property: Description("The Natural Earth admin-1 region that holds the point; null at sea.")] string? Region,
    [property: Description("The region's ISO 3166-2 code.")] [property: JsonPropertyName("region_code")] string? RegionCode,
    [property: Description("Metres from the point to the place.")] [property: JsonPropertyName("distance_m")] double DistanceMeters)
{
    [Description("Place, region and country, as a label.")]
    public string Address => string.Join(", ", new[] { Name, Region ?? Admin1, Country }.Where(part => !string.IsNullOrEmpty(part)).Distinct());
}

/// <summary>CARTO's envelope of one address's answer: its candidates in <c>value</c>, best first.</summary>
public sealed record GeocodeResult<T>(
    [property: Description("The candidates, best first; empty when nothing matches.")] IReadOnlyList<T> Value,
    [property: Description("Whose data the answer is made of, which a use of it must credit.")] string Attribution);

/// <summary>One entry of a batch's answer, at the index of its address: its candidates, or why it has none.</summary>
public sealed record BatchGeocodeEntry(
    [property: Description("The best candidate (or `limit` of them); empty when nothing matches.")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<GeocodeCandidate>? Value,
    [property: Description("Why this entry was not geocoded; the other entries are.")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>What a geocoding takes, by query string or, POSTed, as JSON.</summary>
public sealed record GeocodeRequest(
    [property: Description(GeocodeRequest.AddressDescription)] string? Address = null,
    [property: Description(GeocodeRequest.CountryDescription)] string? Country = null,
    [property: Description(GeocodeRequest.LimitDescription)] int? Limit = null)
{
    public const string AddressDescription = "The address: a place's name, optionally followed by its region and country, comma-separated.";
    public const string CountryDescription = "ISO 3166-1 alpha-2: only places of that country (`ES`).";
    public const string LimitDescription = "Candidates to return, 1 to 10 (1 by default).";
}

/// <summary>What a reverse geocoding takes, by query string or, POSTed, as JSON.</summary>
public sealed record ReverseRequest(
    [property: Description(ReverseRequest.LatDescription)] double? Lat = null,
    [property: Description(ReverseRequest.LonDescription)] double? Lon = null,
    [property: Description(ReverseRequest.LanguageDescription)] string? Language = null)
{
    public const string LatDescription = "Latitude, -90 to 90.";
    public const string LonDescription = "Longitude, -180 to 180.";
    public const string LanguageDescription = "Accepted for CARTO's clients; names are GeoNames' and Natural Earth's English ones.";
}

/// <summary>What a batch geocoding takes.</summary>
public sealed record BatchGeocodeRequest(
    [property: Description("Up to 10,000 addresses: each a string, or an object `{\"address\": …, \"country\": …}`.")]
    JsonElement? Addresses = null,
    [property: Description("ISO 3166-1 alpha-2 country for the entries that name none.")] string? Country = null,
    [property: Description(GeocodeRequest.LimitDescription)] int? Limit = null);
