using System.Globalization;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>Reverse geocoding names the country and the Natural Earth region of points inside 20 known regions and small countries, and nothing at sea.</summary>
[Collection(LdsEnvironment.Collection)]
public sealed class ReverseGeocodingTests(LdsEnvironment environment)
{
    public static TheoryData<double, double, string, string, string, string> KnownPoints => new()
    {
        { 48.137, 11.575, "DE", "DE-BY", "Bavaria", "Munich" },
        { 41.652, -4.729, "ES", "ES-VA", "Valladolid", "Valladolid" },
        { 41.389, 2.159, "ES", "ES-B", "Barcelona", "Barcelona" },
        { 45.76, 4.84, "FR", "FR-69", "Rhône", "Lyon" },
        { 45.4642, 9.19, "IT", "IT-MI", "Milan", "Milan" },
        { 55.953, -3.188, "GB", "GB-EDH", "Edinburgh", "Edinburgh" },
        { 30.267, -97.743, "US", "US-TX", "Texas", "Austin" },
        { 41.878, -87.63, "US", "US-IL", "Illinois", "Chicago" },
        { 43.653, -79.383, "CA", "CA-ON", "Ontario", "Toronto" },
        { 49.283, -123.121, "CA", "CA-BC", "British Columbia", "West End" },
        { -23.55, -46.633, "BR", "BR-SP", "São Paulo", "São Paulo" },
        { -33.869, 151.209, "AU", "AU-NSW", "New South Wales", "Sydney" },
        { -31.95, 115.86, "AU", "AU-WA", "Western Australia", "Perth" },
        { 34.694, 135.502, "JP", "JP-27", "Ōsaka Prefecture", "Osaka" },
        { 19.076, 72.878, "IN", "IN-MH", "Maharashtra", "Mumbai" },
        { -33.925, 18.424, "ZA", "ZA-WC", "Western Cape", "Cape Town" },
        { -1.286, 36.817, "KE", "KE-110", "Nairobi", "Nairobi" },
        { 50.065, 19.945, "PL", "PL-MA", "Lesser Poland Voivodeship", "Kraków" },
        { 47.377, 8.541, "CH", "CH-ZH", "Zürich", "Zürich" },
        { 31.23, 121.474, "CN", "CN-SH", "Shanghai", "Shanghai" },
    };

    [Theory]
    [MemberData(nameof(KnownPoints))]
    public async Task APointNamesItsCountryRegionAndNearestPlace(double latitude, double longitude, string country, string regionCode,
        string region, string place)
    {
        var candidate = Assert.Single(await environment.CandidatesAsync(
            $"/api/v3/lds/geocoding/reverse?lat={latitude.ToString(CultureInfo.InvariantCulture)}&lon={longitude.ToString(CultureInfo.InvariantCulture)}"));
        Assert.Equal(country, candidate.GetProperty("country_code").GetString());
        Assert.Equal(regionCode, candidate.GetProperty("region_code").GetString());
        Assert.Equal(region, candidate.GetProperty("region").GetString());
        Assert.Equal(place, candidate.GetProperty("name").GetString());
        Assert.True(candidate.GetProperty("distance_m").GetDouble() < 10_000);
        Assert.Contains(region, candidate.GetProperty("address").GetString());
    }

    /// <summary>A country with a handful of places inside a big one's: the nearest of its own, not of the neighbour's.</summary>
    [Theory]
    [InlineData(43.7384, 7.4246, "MC")]
    [InlineData(47.141, 9.521, "LI")]
    [InlineData(43.9424, 12.4578, "SM")]
    [InlineData(42.5063, 1.5218, "AD")]
    public async Task APointInASmallCountryNamesOneOfItsOwnPlaces(double latitude, double longitude, string country)
    {
        var candidate = Assert.Single(await environment.CandidatesAsync(
            $"/api/v3/lds/geocoding/reverse?lat={latitude.ToString(CultureInfo.InvariantCulture)}&lon={longitude.ToString(CultureInfo.InvariantCulture)}"));
        Assert.Equal(country, candidate.GetProperty("country_code").GetString());
        Assert.True(candidate.GetProperty("distance_m").GetDouble() < 10_000);
    }

    [Fact]
    public async Task APointAtSeaIsNowhere() =>
        Assert.Empty(await environment.CandidatesAsync("/api/v3/lds/geocoding/reverse?lat=0&lon=-30"));
}
