using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.ImportApi.Imports;

/// <summary>The import API's refusals, as problem details (RFC 9457).</summary>
internal static class ImportProblems
{
    public static IResult NoSuchJob(Guid id) => ProblemResults.NotFound("No such import", $"The organization has no import {id}.");

    public static IResult TableExists(string schema, string table) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The table exists", type: ProblemTypes.Conflict,
            detail: $"{schema}.{table} already exists; import with overwrite=true to replace it, or choose another destination.");

    public static IResult TooLarge(long maxBytes) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "File too large", type: ProblemTypes.PayloadTooLarge,
            detail: $"An import takes files of at most {maxBytes:N0} bytes.");

    /// <summary>The file could not be kept: the store's own reason goes to the log, not to the caller (it names the store's address).</summary>
    public static IResult StorageUnavailable() =>
        TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Object storage unavailable",
            type: ProblemTypes.UpstreamUnavailable,
            detail: "The platform's object storage did not take the file, so nothing was imported and nothing of the file was kept; try again later.");

    public static IResult TooManyImports(int limit) =>
        TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many imports", type: ProblemTypes.TooManyRequests,
            detail: $"The organization already has {limit} imports waiting or running; try again when one has ended.");
}
