using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using CartoSelfHosted.Platform.ObjectStorage;
using CartoSelfHosted.Platform.RoadNetwork;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.LdsApi.Apis;

/// <summary>
/// The road network routing and isolines run on: what it is, and loading an administrator's own OpenStreetMap extract in place of
/// the package's Gothenburg. The network is the installation's, shared by every organization: only an admin of the installation's
/// first organization replaces it.
/// </summary>
public static class RoadNetworkApi
{
    private const string FileTooLarge = "The file is larger than the road network takes (`RoadNetwork:MaxFileBytes`).";

    public static IEndpointRouteBuilder MapRoadNetworkApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/lds/routing/network").WithTags("Routing");
        api.MapGet("", Describe).AcceptsApiAccessTokens(CartoApis.Lds)
            .WithSummary("The road network")
            .WithDescription("What routing and isolines run on: where the network comes from, when it was loaded, how many road " +
                "segments cars and people on foot may take, and the area it covers.")
            .Produces<RoadNetworkDescription>()
            .WithProblem(StatusCodes.Status503ServiceUnavailable, "The road network is being loaded (the first start), or failed to load.");
        api.MapPut("", Load).RequireAuthorization(PlatformPolicies.Administer)
            .WithSummary("Load an OpenStreetMap extract as the road network")
            .WithDescription("The body is an OpenStreetMap file (`.osm` XML, as Geofabrik, BBBike or the Overpass API give them); " +
                "osm2pgrouting loads it for cars and for people on foot, and it replaces the network once whole — routes and " +
                "isolines answer on the old one meanwhile. It takes as long as osm2pgrouting does (a city: seconds; a region: " +
                "minutes) and answers the new network. It stays across restarts.")
            .Accepts<Stream>("application/xml", "text/xml", "application/vnd.openstreetmap.data+xml", "application/octet-stream")
            .Produces<RoadNetworkDescription>()
            .WithProblem(StatusCodes.Status400BadRequest, "No body.")
            .WithProblem(StatusCodes.Status403Forbidden, PlatformPolicies.NotInstallationAdmin)
            .WithProblem(StatusCodes.Status409Conflict, "Another load of the network is under way.")
            .WithProblem(StatusCodes.Status413PayloadTooLarge, FileTooLarge)
            .WithProblem(StatusCodes.Status422UnprocessableEntity, "osm2pgrouting cannot read the file, or it has no roads for cars or for " +
                "people on foot; the network is as it was.");
        return app;
    }

    public static async Task<IResult> Describe(RoadNetworkState network, RoadNetworkLoader loader, HttpResponse response,
        CancellationToken cancellationToken) =>
        DataUnavailable.Problem(network.UnavailableBecause, "Road network unavailable", response)
            ?? (await loader.DescribeAsync(cancellationToken) is { } description
                ? TypedResults.Ok(description)
                : DataUnavailable.Problem("The road network has not been loaded yet.", "Road network unavailable", response)!);

    public static async Task<IResult> Load([Description("The file's name, kept as the network's source.")] string? name,
        HttpContext context, ClaimsPrincipal user, RoadNetworkLoader loader, RoadNetworkState network, IOptions<RoadNetworkOptions> options,
        CancellationToken cancellationToken)
    {
        if (!user.IsOfFirstOrganization())
        {
            return ProblemResults.Forbidden(PlatformPolicies.NotInstallationAdmin);
        }
        var maxBytes = options.Value.MaxFileBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes + 1;
        }
        if (context.Request.ContentLength > maxBytes)
        {
            return TooLarge();
        }
        var folder = Directory.CreateTempSubdirectory("road-network-upload-");
        try
        {
            // A local folder as object storage: the body streams to a file, whole or not at all, its size checked as it comes.
            var upload = new LocalFolderObjectStorage(folder.FullName);
            if (await upload.PutAsync("network.osm", context.Request.Body, maxBytes, cancellationToken) == 0)
            {
                return ProblemResults.BadRequest("No file", "The body is an OpenStreetMap file (.osm XML).");
            }
            var source = string.IsNullOrWhiteSpace(name) ? "an administrator's OpenStreetMap file" : name.Trim()[..Math.Min(name.Trim().Length, 200)];
            var description = await loader.LoadOsmFileAsync(upload.LocalPath("network.osm"), source, cancellationToken);
            network.Ready();
            return TypedResults.Ok(description);
        }
        catch (ObjectTooLargeException)
        {
            return TooLarge();
        }
        catch (RoadNetworkBusyException busy)
        {
            return ProblemResults.Conflict("Road network busy", busy.Message);
        }
        catch (RoadNetworkFileException rejected)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not a road network",
                detail: $"{rejected.Message} The road network is as it was.", type: ProblemTypes.ForStatus(StatusCodes.Status422UnprocessableEntity));
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        static IResult TooLarge() => TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "File too large",
            detail: FileTooLarge, type: ProblemTypes.PayloadTooLarge);
    }
}
