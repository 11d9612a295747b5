using CartoSelfHosted.Platform.Warehouse;

namespace CartoSelfHosted.Platform.Gazetteer;

/// <summary>Whether the warehouse's gazetteer can be searched yet: it is being loaded at the first start, or it failed to load.</summary>
public sealed class GazetteerState() : WarehouseDataState("The gazetteer is being loaded into the warehouse.");
