using Microsoft.AspNetCore.Http;

namespace CartoSelfHosted.ServiceDefaults.Problems;

/// <summary>The problem details (RFC 9457) every API answers the same way.</summary>
public static class ProblemResults
{
    public static IResult BadRequest(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail, type: ProblemTypes.BadRequest);

    public static IResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail, type: ProblemTypes.NotFound);

    public static IResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail,
            type: ProblemTypes.ForStatus(StatusCodes.Status403Forbidden));

    public static IResult Conflict(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail,
            type: ProblemTypes.ForStatus(StatusCodes.Status409Conflict));
}
