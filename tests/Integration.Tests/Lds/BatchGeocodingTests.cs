using System.Diagnostics;
using System.Text.Json;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>Batch geocoding: 10,000 addresses answered in their order, the entries that are not addresses each with its error.</summary>
[Collection(LdsEnvironment.Collection)]
public sealed class BatchGeocodingTests(LdsEnvironment environment)
{
    private const int BatchSize = 10_000;

    [Fact]
    public async Task TenThousandAddressesAreAnsweredInTheirOrderWithAnErrorOnEachBadEntry()
    {
        var places = await environment.SamplePlacesAsync(BatchSize);
        // Every 500th entry is not an address, in one of five ways.
        object?[] bad = [null, 42, "", new { country = "FR" }, new { address = "Lyon", country = "FRA" }];
        var addresses = places.Select((place, index) => index % 500 == 7
            ? bad[index / 500 % bad.Length]
            : index % 2 == 0 ? $"{place.Name}, {place.Admin1}, {place.Country}" : (object)new { address = $"{place.Name}, {place.Admin1}" })
            .ToList();

        var stopwatch = Stopwatch.StartNew();
        var entries = await environment.BatchAsync(new { addresses });
        stopwatch.Stop();

        Assert.Equal(BatchSize, entries.Length);
        var near = 0;
        for (var index = 0; index < BatchSize; index++)
        {
            if (index % 500 == 7)
            {
                Assert.False(entries[index].TryGetProperty("value", out _), $"entry {index} has no value");
                Assert.False(string.IsNullOrEmpty(entries[index].GetProperty("error").GetString()), $"entry {index} says why");
                continue;
            }
            var value = entries[index].GetProperty("value");
            if (value.GetArrayLength() == 1 && LdsEnvironment.IsNear(places[index], value[0]))
            {
                near++;
            }
        }
        // Places of any size with their region: nearly every entry is its own place, which only the input order gives.
        var share = 100.0 * near / (BatchSize - BatchSize / 500);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{BatchSize} addresses in {stopwatch.Elapsed.TotalSeconds:F1} s ({BatchSize / stopwatch.Elapsed.TotalSeconds:F0}/s); {share:F1}% within 10 km");
        Assert.True(share >= 95, $"{share:F1}% of the entries within 10 km of their place");
    }

    [Fact]
    public async Task AnEntryThatMatchesNothingHasAnEmptyValueAndTheCountryAppliesToEntriesWithoutOne()
    {
        var entries = await environment.BatchAsync(new
        {
            addresses = new object[] { "qzxqv wbkjh", "Paris", new { address = "Paris", country = "US" } },
            country = "CA",
            limit = 2,
        });
        Assert.Equal(3, entries.Length);
        Assert.Equal(0, entries[0].GetProperty("value").GetArrayLength());
        Assert.All(entries[1].GetProperty("value").EnumerateArray(), candidate => Assert.Equal("CA", candidate.GetProperty("country_code").GetString()));
        Assert.Equal(2, entries[2].GetProperty("value").GetArrayLength());
        Assert.All(entries[2].GetProperty("value").EnumerateArray(), candidate => Assert.Equal("US", candidate.GetProperty("country_code").GetString()));
        Assert.Equal(JsonValueKind.Undefined, entries[0].TryGetProperty("error", out var error) ? error.ValueKind : JsonValueKind.Undefined);
    }
}
