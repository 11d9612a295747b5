using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Warehouse;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>
/// CARTO's batch SQL jobs: SQL that may write and run long, recorded here with its message and run by sql-worker as
/// the organization. Status, cancel (which stops the statement in the warehouse) and the organization's list.
/// </summary>
public static class SqlJobsApi
{
    private const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapSqlJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/sql");
        api.MapPost("/{connection}/job", CreateJob);
        api.MapGet("/{connection}/job/{id:guid}", GetJob);
        api.MapDelete("/{connection}/job/{id:guid}", CancelJob);
        api.MapGet("/jobs", ListJobs);
        return app;
    }

    public static async Task<IResult> CreateJob(string connection, SqlJobBody body, ClaimsPrincipal user, JobStore store,
        HttpResponse response, CancellationToken cancellationToken)
    {
        if (connection != WarehouseDatabase.BuiltInConnectionName)
        {
            return SqlProblems.UnknownConnection(connection);
        }
        if (string.IsNullOrWhiteSpace(body.Query))
        {
            return ProblemResults.BadRequest("No query", "query is the SQL the job runs (one or more statements), and it is missing or empty.");
        }
        if (body.Query.Length > SqlJobs.MaxQueryLength)
        {
            return ProblemResults.BadRequest("Query too long", $"A job's query is at most {SqlJobs.MaxQueryLength} characters.");
        }
        var job = await store.CreateAsync(SqlJobs.Kind, user.GetOrganizationId(), connection, new SqlJobRequest(body.Query),
            MessagingTopology.Topics.SqlJobs, cancellationToken);
        response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/v3/sql/{connection}/job/{job.Id}", SqlJobView.From(job));
    }

    public static async Task<IResult> GetJob(string connection, Guid id, ClaimsPrincipal user, JobStore store, HttpResponse response,
        CancellationToken cancellationToken)
    {
        response.Headers.CacheControl = "no-store";
        var job = await store.FindAsync(id, user.GetOrganizationId(), SqlJobs.Kind, cancellationToken);
        return job is null || job.Connection != connection ? NoSuchJob(id) : TypedResults.Ok(SqlJobView.From(job));
    }

    /// <summary>A pending job is cancelled at once; a running one within about a second, by its worker, which stops the statement.</summary>
    public static async Task<IResult> CancelJob(string connection, Guid id, ClaimsPrincipal user, JobStore store, HttpResponse response,
        CancellationToken cancellationToken)
    {
        response.Headers.CacheControl = "no-store";
        var existing = await store.FindAsync(id, user.GetOrganizationId(), SqlJobs.Kind, cancellationToken);
        if (existing is null || existing.Connection != connection)
        {
            return NoSuchJob(id);
        }
        var job = await store.RequestCancelAsync(id, user.GetOrganizationId(), SqlJobs.Kind, cancellationToken);
        return TypedResults.Ok(SqlJobView.From(job!));
    }

    public static async Task<IResult> ListJobs(ClaimsPrincipal user, JobStore store, HttpResponse response, CancellationToken cancellationToken,
        int page = 1, int pageSize = 20)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return ProblemResults.BadRequest("Invalid paging", $"page starts at 1 and pageSize is between 1 and {MaxPageSize}.");
        }
        response.Headers.CacheControl = "no-store";
        var jobs = await store.ListAsync(user.GetOrganizationId(), SqlJobs.Kind, page, pageSize, cancellationToken);
        return TypedResults.Ok(new SqlJobPage(jobs.Jobs.Select(SqlJobView.From).ToList(), page, pageSize, jobs.Total));
    }

    private static IResult NoSuchJob(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such job",
            detail: $"The organization has no SQL job {id} on this connection.");
}

public sealed record SqlJobBody(string? Query);

public sealed record SqlJobPage(IReadOnlyList<SqlJobView> Jobs, int Page, int PageSize, long Total);

public sealed record SqlJobView(
    Guid Id,
    string Status,
    string? Connection,
    string? Query,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationMs,
    int Attempts,
    bool CancelRequested,
    long? RowsAffected,
    IReadOnlyList<ChangedTable>? ChangedTables,
    SqlJobFailure? Error)
{
    public static SqlJobView From(JobRecord job)
    {
        var request = job.Request.Deserialize<SqlJobRequest>(JsonSerializerOptions.Web);
        var result = job.Result?.Deserialize<SqlJobResult>(JsonSerializerOptions.Web);
        var details = job.ErrorDetails?.Deserialize<SqlJobErrorDetails>(JsonSerializerOptions.Web);
        return new SqlJobView(job.Id, job.Status, job.Connection, request?.Query, job.CreatedAt, job.StartedAt, job.FinishedAt,
            job is { StartedAt: { } started, FinishedAt: { } finished } ? (finished - started).TotalMilliseconds : null,
            job.Attempts, job.CancelRequestedAt is not null,
            // A result recorded by an attempt that did not commit is not the job's.
            job.Status == JobStatus.Success ? result?.RowsAffected : null,
            job.Status == JobStatus.Success ? result?.ChangedTables : null,
            job.Error is null ? null : new SqlJobFailure(job.Error, details?.SqlState, details?.Position, details?.Hint));
    }
}

public sealed record SqlJobFailure(string Message, string? SqlState, int? Position, string? Hint);
