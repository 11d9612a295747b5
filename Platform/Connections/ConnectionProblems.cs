using CartoSelfHosted.Platform.Warehouse;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;

namespace CartoSelfHosted.Platform.Connections;

/// <summary>The problem every API answers for a connection name that <see cref="DataConnections"/> does not resolve for the caller.</summary>
public static class ConnectionProblems
{
    /// <summary>404: no connection of that name the caller may use (one it may not use is not revealed to exist).</summary>
    public static IResult Unknown(string connection) => ProblemResults.NotFound("Unknown connection",
        $"There is no connection named '{connection}' the caller may use; the built-in warehouse is '{WarehouseDatabase.BuiltInConnectionName}'.");
}
