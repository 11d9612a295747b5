namespace CartoSelfHosted.Platform.RoadNetwork;

/// <summary>The <c>RoadNetwork</c> configuration section.</summary>
public sealed class RoadNetworkOptions
{
    public const string SectionName = "RoadNetwork";

    /// <summary>Where the npm package's network is: by default the folder the build copies it into, beside the assemblies.</summary>
    public string DataDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "road-network");

    /// <summary>Whether the service loads the network at start when the warehouse does not have it (or has an older one).</summary>
    public bool LoadAtStart { get; set; } = true;

    /// <summary>
    /// The largest OpenStreetMap file an administrator may load (1 GiB: a country of a few million people; osm2pgrouting holds a
    /// file's ways in memory, about ten times the file's size, so a larger one needs a machine sized for it).
    /// </summary>
    public long MaxFileBytes { get; set; } = 1L << 30;

    /// <summary>Debian's osm2pgrouting, which turns OpenStreetMap ways into a pgRouting graph.</summary>
    public string Osm2PgRouting { get; set; } = "osm2pgrouting";

    /// <summary>Where osm2pgrouting's configurations (<c>mapconfig_for_cars.xml</c>, <c>mapconfig_for_pedestrian.xml</c>) are.</summary>
    public string Osm2PgRoutingConfigurations { get; set; } = "/usr/share/osm2pgrouting";
}
