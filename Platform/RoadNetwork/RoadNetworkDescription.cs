using System.ComponentModel;
using System.Text.Json.Serialization;

namespace CartoSelfHosted.Platform.RoadNetwork;

/// <summary>The road network loaded now.</summary>
public sealed record RoadNetworkDescription(
    [property: Description("Where it comes from: the package's network, or the name of the file an administrator loaded.")] string Source,
    [property: Description("Whose data it is.")] string Attribution,
    [property: Description("Road segments cars may take.")] [property: JsonPropertyName("car_edges")] long CarEdges,
    [property: Description("Road segments people on foot may take.")] [property: JsonPropertyName("foot_edges")] long FootEdges,
    [property: Description("When it was loaded.")] [property: JsonPropertyName("loaded_at")] DateTimeOffset LoadedAt,
    [property: Description("The area it covers: `[west, south, east, north]`.")] double[]? Bounds);

/// <summary>An OpenStreetMap file the network cannot be made from: osm2pgrouting cannot read it, or it has no roads.</summary>
public sealed class RoadNetworkFileException(string reason) : Exception(reason);

/// <summary>Another load of the network is under way.</summary>
public sealed class RoadNetworkBusyException() : Exception("The road network is being loaded already: try again when that load is done.");
