using System.Globalization;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.LdsApi.Apis;

/// <summary>The 503 problem of an endpoint whose data (the gazetteer, the road network) is still being loaded, or failed to load.</summary>
internal static class DataUnavailable
{
    public static IResult? Problem(string? unavailableBecause, string title, HttpResponse response)
    {
        if (unavailableBecause is null)
        {
            return null;
        }
        response.Headers.RetryAfter = 10.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: unavailableBecause,
            type: ProblemTypes.UpstreamUnavailable);
    }
}
