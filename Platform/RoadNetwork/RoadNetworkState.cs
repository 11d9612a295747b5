using CartoSelfHosted.Platform.Warehouse;

namespace CartoSelfHosted.Platform.RoadNetwork;

/// <summary>Whether the warehouse's road network can be routed on yet: it is being loaded at the first start, or it failed to load.</summary>
public sealed class RoadNetworkState() : WarehouseDataState("The road network is being loaded into the warehouse.");
