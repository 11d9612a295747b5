using System.Globalization;
using System.Text.Json;
using System.Xml;

namespace CartoSelfHosted.Platform.RoadNetwork;

/// <summary>
/// The road network the installation routes on: geojson-path-finder's test network of Gothenburg (OpenStreetMap, 2016), its
/// npm package's GeoJSON of ways, from the folder the build copies it into.
/// </summary>
public sealed class RoadNetworkSources(string directory)
{
    /// <summary>
    /// Whose data the network is: OpenStreetMap's, whether it is the package's Gothenburg or an extract an administrator loaded
    /// (<see cref="RoadNetworkLoader.LoadOsmFileAsync"/>, which takes OpenStreetMap's format).
    /// </summary>
    public const string Attribution = "Roads: (c) OpenStreetMap contributors (openstreetmap.org/copyright; ODbL 1.0).";

    /// <summary>The package and version the network comes from: a different one is loaded again.</summary>
    public const string Version = "geojson-path-finder 2.1.0 test/large-network.json";

    private const string NetworkFile = "geojson-path-finder/large-network.json";

    public string Directory { get; } = directory;

    public string NetworkPath => Path.Combine(Directory, NetworkFile);

    public bool IsMissing => !File.Exists(NetworkPath);

    /// <summary>
    /// Writes the GeoJSON's ways as the OpenStreetMap XML osm2pgrouting reads: a node per distinct coordinate (the GeoJSON
    /// has no node ids, and two ways meet where they share a coordinate), a way per feature with its OSM id and tags; an
    /// area (a pedestrian square) is its outer ring, walked around.
    /// </summary>
    public void WriteOsmXml(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(NetworkPath));
        var nodes = new Dictionary<(double Lon, double Lat), long>();
        var ways = new List<(long Id, List<long> Nodes, List<(string Key, string Value)> Tags)>();
        foreach (var feature in document.RootElement.GetProperty("features").EnumerateArray())
        {
            var properties = feature.GetProperty("properties");
            var geometry = feature.GetProperty("geometry");
            var coordinates = geometry.GetProperty("type").GetString() switch
            {
                "LineString" => geometry.GetProperty("coordinates"),
                "Polygon" => geometry.GetProperty("coordinates")[0],
                _ => (JsonElement?)null,
            };
            if (coordinates is not { } line || !properties.TryGetProperty("highway", out _))
            {
                continue;
            }
            var wayNodes = line.EnumerateArray().Select(point =>
            {
                var key = (point[0].GetDouble(), point[1].GetDouble());
                if (!nodes.TryGetValue(key, out var id))
                {
                    nodes[key] = id = nodes.Count + 1;
                }
                return id;
            }).ToList();
            var tags = properties.EnumerateObject()
                .Where(property => property.Name != "@id" && property.Value.ValueKind == JsonValueKind.String)
                .Select(property => (property.Name, property.Value.GetString()!)).ToList();
            ways.Add((long.Parse(feature.GetProperty("id").GetString()!["way/".Length..], CultureInfo.InvariantCulture), wayNodes, tags));
        }

        using var writer = XmlWriter.Create(path, new XmlWriterSettings { Indent = false });
        writer.WriteStartElement("osm");
        writer.WriteAttributeString("version", "0.6");
        foreach (var ((longitude, latitude), id) in nodes)
        {
            writer.WriteStartElement("node");
            writer.WriteAttributeString("id", id.ToString(CultureInfo.InvariantCulture));
            writer.WriteAttributeString("lat", latitude.ToString("R", CultureInfo.InvariantCulture));
            writer.WriteAttributeString("lon", longitude.ToString("R", CultureInfo.InvariantCulture));
            writer.WriteEndElement();
        }
        foreach (var (id, wayNodes, tags) in ways)
        {
            writer.WriteStartElement("way");
            writer.WriteAttributeString("id", id.ToString(CultureInfo.InvariantCulture));
            foreach (var node in wayNodes)
            {
                writer.WriteStartElement("nd");
                writer.WriteAttributeString("ref", node.ToString(CultureInfo.InvariantCulture));
                writer.WriteEndElement();
            }
            foreach (var (key, value) in tags)
            {
                writer.WriteStartElement("tag");
                writer.WriteAttributeString("k", key);
                writer.WriteAttributeString("v", value);
                writer.WriteEndElement();
            }
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
    }
}
