using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartoSelfHosted.LdsApi.Routing;

/// <summary>A route as a GeoJSON Feature: its line from the origin to the destination, its length and duration.</summary>
public sealed record RouteFeature(
    [property: Description("A GeoJSON LineString along the roads, from the origin through the waypoints to the destination; null when " +
        "they all snap to one point of the network.")] JsonElement? Geometry,
    RouteProperties Properties)
{
    public string Type => "Feature";
}

public sealed record RouteProperties(
    [property: Description("The route's length along the roads, in metres.")] double Distance,
    [property: Description("How long it takes, in seconds: at the roads' speed limits by car, at 5 km/h on foot.")] double Duration,
    [property: Description("`car` or `walk`.")] string Mode,
    [property: Description("Whose data the answer is made of, which a use of it must credit.")] string Attribution);

/// <summary>Isolines as a GeoJSON FeatureCollection: one polygon per range, smallest first, each inside the next.</summary>
public sealed record IsolineCollection(
    IReadOnlyList<IsolineFeature> Features,
    [property: Description("Whose data the answer is made of, which a use of it must credit.")] string Attribution)
{
    public string Type => "FeatureCollection";
}

public sealed record IsolineFeature(
    [property: Description("A GeoJSON polygon: the area reached within the range.")] JsonElement Geometry,
    IsolineProperties Properties)
{
    public string Type => "Feature";
}

public sealed record IsolineProperties(
    [property: Description("The range: seconds, or metres.")] double Range,
    [property: Description("`time` or `distance`.")] [property: JsonPropertyName("range_type")] string RangeType,
    [property: Description("`car` or `walk`.")] string Mode);
