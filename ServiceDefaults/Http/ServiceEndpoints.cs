using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CartoSelfHosted.ServiceDefaults.Http;

/// <summary>
/// The addresses of the other services, read from the keys an Aspire AppHost injects
/// (<c>services__maps-api__http__0=http://127.0.0.1:15103</c>).
/// </summary>
public sealed class ServiceEndpoints(IConfiguration configuration)
{
    /// <summary>Every service this one was given a reference to, by name.</summary>
    public IReadOnlyDictionary<string, Uri> All =>
        configuration.GetSection("services").GetChildren()
            .Select(service => (service.Key, Address: Resolve(service.Key)))
            .Where(service => service.Address is not null)
            .ToDictionary(service => service.Key, service => service.Address!, StringComparer.OrdinalIgnoreCase);

    public Uri? Resolve(string serviceName)
    {
        var section = configuration.GetSection("services").GetSection(serviceName);
        var address = section["http:0"] ?? section["https:0"];
        return Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri : null;
    }
}

public static class ServiceDiscoveryRegistration
{
    public static IServiceCollection AddServiceDiscovery(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(new ServiceEndpoints(configuration));
        services.TryAddTransient<ServiceDiscoveryHandler>();
        services.TryAddTransient<ResilienceHandler>();
        return services;
    }
}

/// <summary>Lets an HttpClient call <c>http://maps-api/...</c>: the host is swapped for the configured address.</summary>
public sealed class ServiceDiscoveryHandler(ServiceEndpoints endpoints) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { IsAbsoluteUri: true } uri && endpoints.Resolve(uri.Host) is { } address)
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = address.Scheme, Host = address.Host, Port = address.Port }.Uri;
        }
        return base.SendAsync(request, cancellationToken);
    }
}
