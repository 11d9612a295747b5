using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.LdsApi.Geocoding;
using CartoSelfHosted.LdsApi.Quotas;
using CartoSelfHosted.Platform.Gazetteer;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.LdsApi.Apis;

/// <summary>
/// CARTO's LDS geocoding (v3), answered from the installation's own gazetteer (GeoNames places, Natural Earth regions):
/// place-level only, no street or house number. Each answer credits its data (<c>attribution</c>, and the
/// <see cref="AttributionHeader"/> header on every answer).
/// </summary>
public static class GeocodingApi
{
    public const int MaxBatchAddresses = 10_000;
    public const int MaxLimit = 10;
    public const int MaxAddressLength = 300;
    public const string AttributionHeader = "X-Data-Attribution";

    /// <summary>
    /// A single geocode is a millisecond of SQL, called as often as tiles are: tracing each would cost the dashboard more
    /// than the call (router-http samples the same routes). A batch is traced whole.
    /// </summary>
    private const int OneGeocodeTracedIn = 10;

    public static IEndpointRouteBuilder MapGeocodingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/lds/geocoding").WithTags("Geocoding").AcceptsApiAccessTokens(CartoApis.Lds)
            .AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers[AttributionHeader] = GazetteerSources.Attribution;
                return await next(context);
            });
        api.MapGet("/geocode", Geocode).WithMetadata(new SampledTracing(OneGeocodeTracedIn))
            .WithSummary("Geocode an address")
            .WithDescription("A place-level address, `name[, region][, country]` (no street or house number), as CARTO's answer: " +
                "`[{\"value\": [candidates]}]`, best first. Case, accents and punctuation do not matter, and one misspelling is " +
                "tolerated. A candidate has the place's name, admin areas, country, latitude and longitude, population, a `relevance` " +
                "and how its name matched. Nothing matching is an empty `value`, not an error.")
            .Produces<GeocodeResult<GeocodeCandidate>[]>()
            .WithProblem(StatusCodes.Status400BadRequest, $"No `address`, one longer than {MaxAddressLength} characters, a `country` " +
                $"that is not two letters, or a `limit` outside 1 to {MaxLimit}.")
            .WithGazetteerUnavailable().WithQuotaSpent();
        api.MapPost("/geocode", GeocodeByPost).WithMetadata(new SampledTracing(OneGeocodeTracedIn))
            .WithSummary("Geocode an address, the parameters in the body")
            .WithDescription("The same as the GET, for a client that sends its parameters as JSON: `{\"address\", \"country\", \"limit\"}`.")
            .Accepts<GeocodeRequest>("application/json")
            .Produces<GeocodeResult<GeocodeCandidate>[]>()
            .WithProblem(StatusCodes.Status400BadRequest, "No JSON body, or what the GET refuses.")
            .WithGazetteerUnavailable().WithQuotaSpent();
        api.MapGet("/reverse", Reverse).WithMetadata(new SampledTracing(OneGeocodeTracedIn))
            .WithSummary("Reverse geocode a point")
            .WithDescription("The place a point is at: the Natural Earth admin-1 region holding it, and the nearest populated place of " +
                "its country, as `[{\"value\": [candidate]}]`. At sea and far from any place, an empty `value`.")
            .Produces<GeocodeResult<ReverseCandidate>[]>()
            .WithProblem(StatusCodes.Status400BadRequest, "No `lat` or `lon`, one that is not a number, or one out of range.")
            .WithGazetteerUnavailable().WithQuotaSpent();
        api.MapPost("/reverse", ReverseByPost).WithMetadata(new SampledTracing(OneGeocodeTracedIn))
            .WithSummary("Reverse geocode a point, the parameters in the body")
            .WithDescription("The same as the GET, for a client that sends its parameters as JSON: `{\"lat\", \"lon\"}`.")
            .Accepts<ReverseRequest>("application/json")
            .Produces<GeocodeResult<ReverseCandidate>[]>()
            .WithProblem(StatusCodes.Status400BadRequest, "No JSON body, or what the GET refuses.")
            .WithGazetteerUnavailable().WithQuotaSpent();
        api.MapPost("/batch", Batch)
            .WithSummary("Geocode addresses in a batch")
            .WithDescription($"Up to {MaxBatchAddresses:N0} addresses in one request, answered in their order: for each `{{\"value\": " +
                "[candidates]}` as the single geocoding gives them, or `{\"error\": …}` for an entry that is not an address; the " +
                "others are geocoded all the same.")
            .Accepts<BatchGeocodeRequest>("application/json")
            .Produces<BatchGeocodeEntry[]>()
            .WithProblem(StatusCodes.Status400BadRequest, $"No JSON body, no `addresses` array, more than {MaxBatchAddresses:N0} of them, " +
                $"or a `country` or `limit` as the single geocoding refuses them.")
            .WithGazetteerUnavailable().WithQuotaSpent();
        return app;
    }

    private static RouteHandlerBuilder WithGazetteerUnavailable(this RouteHandlerBuilder endpoint) =>
        endpoint.WithProblem(StatusCodes.Status503ServiceUnavailable, "The gazetteer is being loaded (the first start), or failed to load.");

    public static Task<IResult> GeocodeByPost([FromBody] GeocodeRequest request, GazetteerState gazetteer, Geocoder geocoder,
        ClaimsPrincipal user, LdsQuota quota, HttpResponse response, CancellationToken cancellationToken) =>
        Geocode(request.Address, request.Country, request.Limit, gazetteer, geocoder, user, quota, response, cancellationToken);

    public static Task<IResult> ReverseByPost([FromBody] ReverseRequest request, GazetteerState gazetteer, Geocoder geocoder,
        ClaimsPrincipal user, LdsQuota quota, HttpResponse response, CancellationToken cancellationToken) =>
        Reverse(request.Lat, request.Lon, request.Language, gazetteer, geocoder, user, quota, response, cancellationToken);

    public static async Task<IResult> Geocode([Description(GeocodeRequest.AddressDescription)] string? address,
        [Description(GeocodeRequest.CountryDescription)] string? country,
        [Description(GeocodeRequest.LimitDescription)] int? limit,
        GazetteerState gazetteer, Geocoder geocoder, ClaimsPrincipal user, LdsQuota quota, HttpResponse response,
        CancellationToken cancellationToken)
    {
        if (Unavailable(gazetteer, response) is { } unavailable)
        {
            return unavailable;
        }
        if (AddressProblem(address) is { } addressProblem)
        {
            return ProblemResults.BadRequest("Invalid address", addressProblem);
        }
        if (QueryProblem(country, limit) is { } problem)
        {
            return problem;
        }
        return await quota.ChargedAsync(user, LdsServices.Geocoding, 1, response, async answerCancellation =>
        {
            var candidates = await geocoder.GeocodeAsync(address!, Country(country), limit ?? 1, answerCancellation);
            return TypedResults.Ok(new[] { new GeocodeResult<GeocodeCandidate>(candidates, GazetteerSources.Attribution) });
        }, cancellationToken);
    }

    public static async Task<IResult> Reverse([Description(ReverseRequest.LatDescription)] double? lat,
        [Description(ReverseRequest.LonDescription)] double? lon,
        [Description(ReverseRequest.LanguageDescription)] string? language,
        GazetteerState gazetteer, Geocoder geocoder, ClaimsPrincipal user, LdsQuota quota, HttpResponse response,
        CancellationToken cancellationToken)
    {
        if (Unavailable(gazetteer, response) is { } unavailable)
        {
            return unavailable;
        }
        if (lat is not { } latitude || lon is not { } longitude)
        {
            return ProblemResults.BadRequest("Invalid point", "lat and lon are both required.");
        }
        if (latitude is < -90 or > 90 || longitude is < -180 or > 180 || double.IsNaN(latitude) || double.IsNaN(longitude))
        {
            return ProblemResults.BadRequest("Invalid point", "lat is between -90 and 90, lon between -180 and 180.");
        }
        return await quota.ChargedAsync(user, LdsServices.Geocoding, 1, response, async answerCancellation =>
        {
            var candidates = await geocoder.ReverseGeocodeAsync(latitude, longitude, answerCancellation);
            return TypedResults.Ok(new[] { new GeocodeResult<ReverseCandidate>(candidates, GazetteerSources.Attribution) });
        }, cancellationToken);
    }

    public static async Task<IResult> Batch([FromBody] BatchGeocodeRequest request, GazetteerState gazetteer, Geocoder geocoder,
        ClaimsPrincipal user, LdsQuota quota, HttpResponse response, CancellationToken cancellationToken)
    {
        if (Unavailable(gazetteer, response) is { } unavailable)
        {
            return unavailable;
        }
        if (request.Addresses is not { ValueKind: JsonValueKind.Array } addresses)
        {
            return ProblemResults.BadRequest("Invalid batch", "The body's `addresses` is an array of addresses.");
        }
        if (addresses.GetArrayLength() is 0 or > MaxBatchAddresses)
        {
            return ProblemResults.BadRequest("Invalid batch", $"A batch has 1 to {MaxBatchAddresses:N0} addresses.");
        }
        if (QueryProblem(request.Country, request.Limit) is { } problem)
        {
            return problem;
        }
        var entries = addresses.EnumerateArray().Select(entry => ReadEntry(entry, Country(request.Country))).ToList();
        var valid = entries.Where(entry => entry.Error is null).Select(entry => (entry.Address!, entry.Country)).ToList();
        if (valid.Count == 0)
        {
            return TypedResults.Ok(entries.Select(entry => new BatchGeocodeEntry(null, entry.Error)).ToList());
        }
        // Each address is a geocode of the quota; the entries that are not addresses cost nothing.
        return await quota.ChargedAsync(user, LdsServices.Geocoding, valid.Count, response, async answerCancellation =>
        {
            var found = await geocoder.GeocodeBatchAsync(valid, request.Limit ?? 1, answerCancellation);
            var next = 0;
            return TypedResults.Ok(entries.Select(entry => entry.Error is null
                ? new BatchGeocodeEntry(found[next++], null)
                : new BatchGeocodeEntry(null, entry.Error)).ToList());
        }, cancellationToken);
    }

    /// <summary>One entry of a batch: a string, or <c>{"address", "country"}</c>; what else it is becomes its error.</summary>
    private static (string? Address, string? Country, string? Error) ReadEntry(JsonElement entry, string? defaultCountry)
    {
        var (address, country) = entry.ValueKind switch
        {
            JsonValueKind.String => (entry.GetString(), defaultCountry),
            JsonValueKind.Object => (entry.TryGetProperty("address", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null,
                entry.TryGetProperty("country", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : defaultCountry),
            _ => (null, defaultCountry),
        };
        if (AddressProblem(address) is { } problem)
        {
            return (null, null, entry.ValueKind is JsonValueKind.String or JsonValueKind.Object
                ? problem
                : "An entry is an address (a string) or an object with an `address`.");
        }
        if (country is not null && !IsCountryCode(country))
        {
            return (null, null, "country is an ISO 3166-1 alpha-2 code (two letters).");
        }
        return (address, Country(country), null);
    }

    private static string? AddressProblem(string? address) => string.IsNullOrWhiteSpace(address)
        ? "An address is required: a place's name, optionally followed by its region and country."
        : address.Length > MaxAddressLength ? $"An address is at most {MaxAddressLength} characters." : null;

    private static IResult? QueryProblem(string? country, int? limit)
    {
        if (country is not null && !IsCountryCode(country))
        {
            return ProblemResults.BadRequest("Invalid country", "country is an ISO 3166-1 alpha-2 code (two letters).");
        }
        if (limit is < 1 or > MaxLimit)
        {
            return ProblemResults.BadRequest("Invalid limit", $"limit is between 1 and {MaxLimit}.");
        }
        return null;
    }

    private static bool IsCountryCode(string country) => country.Length == 2 && country.All(char.IsAsciiLetter);

    private static string? Country(string? country) => country?.ToUpperInvariant();

    private static IResult? Unavailable(GazetteerState gazetteer, HttpResponse response) =>
        DataUnavailable.Problem(gazetteer.UnavailableBecause, "Gazetteer unavailable", response);
}
