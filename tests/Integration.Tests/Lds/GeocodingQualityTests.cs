namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>
/// How well the gazetteer geocodes what people write: 200 of its places (of 15,000 people or more, a fixed sample)
/// written differently — lower case with the country, without accents, with region and country, with one letter wrong —
/// found within 10 km in 95% of cases or more.
/// </summary>
[Collection(LdsEnvironment.Collection)]
public sealed class GeocodingQualityTests(LdsEnvironment environment)
{
    private const int SampleSize = 200;

    [Fact]
    public async Task TwoHundredPlacesWrittenDifferentlyAreFoundWithinTenKilometres()
    {
        var places = await environment.SamplePlacesAsync(SampleSize, minPopulation: 15_000);
        Assert.Equal(SampleSize, places.Count);

        string[] styles = ["lower case, country", "no accents, country", "region and country", "one typo, region"];
        var misses = new List<string>();
        var missesByStyle = new int[styles.Length];
        for (var index = 0; index < places.Count; index++)
        {
            var place = places[index];
            var address = (index % styles.Length) switch
            {
                0 => $"{place.Name.ToLowerInvariant()}, {place.Country.ToLowerInvariant()}",
                1 => $"{place.Unaccented}, {place.Country}",
                2 => $"{place.Name}, {place.Admin1}, {place.Country}",
                _ => $"{OneTypo(place.Name)}, {place.Admin1}",
            };
            var candidates = await environment.CandidatesAsync($"/api/v3/lds/geocoding/geocode?address={Uri.EscapeDataString(address)}");
            var found = candidates.FirstOrDefault();
            if (found.ValueKind == System.Text.Json.JsonValueKind.Undefined || !LdsEnvironment.IsNear(place, found))
            {
                misses.Add($"{address} → {(candidates.Length == 0 ? "nothing" : found.GetProperty("address").GetString())}");
                missesByStyle[index % styles.Length]++;
            }
        }
        var found95 = 100.0 * (places.Count - misses.Count) / places.Count;
        var byStyle = styles.Select((style, index) => $"{style} {100.0 * (SampleSize / styles.Length - missesByStyle[index]) / (SampleSize / styles.Length):F0}%");
        TestContext.Current.TestOutputHelper?.WriteLine($"gazetteer loaded in {environment.LoadTime.TotalSeconds:F1} s; {found95:F1}% within 10 km " +
            $"({string.Join(", ", byStyle)}); missed: {string.Join("; ", misses)}");
        Assert.True(found95 >= 95, $"{found95:F1}% within 10 km; missed: {string.Join("; ", misses)}");
    }

    /// <summary>One letter of the middle of the name replaced by another.</summary>
    private static string OneTypo(string name)
    {
        var middle = name.Length / 2;
        var wrong = name[middle] == 'e' ? 'a' : 'e';
        return string.Concat(name.AsSpan(0, middle), wrong.ToString(), name.AsSpan(middle + 1));
    }
}
