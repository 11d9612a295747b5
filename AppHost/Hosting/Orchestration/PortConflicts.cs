using System.Net;
using System.Net.Sockets;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>Checked before anything starts, so a taken port is one clear error instead of a server failing later.</summary>
public static class PortConflicts
{
    /// <summary>Every declared port that is taken (by another program, or twice in the model), as a message naming it.</summary>
    public static List<string> Find(DistributedApplicationModel model, int dashboardPort)
    {
        var claims = model.Resources.OfType<ExecutableResource>()
            .SelectMany(resource => resource.Endpoints.Select(endpoint => (Owner: $"{resource.Name} ({endpoint.Name})",
                Override: endpoint.Name is "http" or "tcp" ? resource.Name : $"{resource.Name}-{endpoint.Name}", endpoint.Port)))
            .Append((Owner: "dashboard", Override: "dashboard", Port: dashboardPort))
            .ToList();

        var conflicts = claims.GroupBy(claim => claim.Port).Where(group => group.Count() > 1)
            .Select(group => $"port {group.Key} is declared for {string.Join(" and ", group.Select(claim => claim.Owner))}")
            .ToList();
        foreach (var claim in claims.DistinctBy(claim => claim.Port))
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, claim.Port);
                listener.Start();
            }
            catch (SocketException)
            {
                conflicts.Add($"port {claim.Port} for {claim.Owner} is already in use on {EndpointSpec.Host}: stop what holds it, " +
                    $"or choose another with --Ports:{claim.Override}=<port>");
            }
        }
        return conflicts;
    }
}
