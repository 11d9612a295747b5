using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.ImportApi.Apis;

public static class ImportsApi
{
    public const string JobKind = "import";
    private const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/imports");
        api.MapGet("", ListImports);
        return app;
    }

    public static async Task<IResult> ListImports(ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken,
        int page = 1, int pageSize = 20)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid paging",
                detail: $"page starts at 1 and pageSize is between 1 and {MaxPageSize}.");
        }

        var jobs = await store.ListAsync(user.GetOrganizationId(), JobKind, page, pageSize, cancellationToken);
        return TypedResults.Ok(new ImportJobPage(
            jobs.Jobs.Select(job => new ImportJobSummary(job.Id, job.Status, job.Progress, job.Error, job.CreatedAt, job.StartedAt, job.FinishedAt)).ToList(),
            page, pageSize, jobs.Total));
    }
}

public sealed record ImportJobPage(IReadOnlyList<ImportJobSummary> Jobs, int Page, int PageSize, long Total);

public sealed record ImportJobSummary(Guid Id, string Status, JsonElement Progress, string? Error, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);
