using Microsoft.AspNetCore.Http;

namespace CartoSelfHosted.ServiceDefaults.Problems;

/// <summary>The problem details (RFC 9457) every API answers the same way.</summary>
public static class ProblemResults
{
    public static IResult BadRequest(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail, type: ProblemTypes.BadRequest);

    public static IResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail, type: ProblemTypes.NotFound);
}
