using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>
/// CARTO's batch SQL jobs: SQL that may write and run long, recorded here with its message and run by sql-worker as
/// the organization. Status, cancel (which stops the statement in the warehouse) and the organization's list.
/// </summary>
public static class SqlJobsApi
{
    private const int MaxPageSize = 100;
    private const string JobId = "The job's id, as its creation gave it.";
    private const string NoSuchJobProblem = "The organization has no such job on this connection.";
    private const string ViewerProblem = "The caller is a viewer: batch SQL jobs take an editor or an admin.";

    public static IEndpointRouteBuilder MapSqlJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/sql").WithTags("SQL jobs");
        api.MapPost("/{connection}/job", CreateJob)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Start a batch SQL job")
            .WithDescription("Records SQL that may write and run long (one or more statements), which sql-worker then runs as the " +
                "organization, in one transaction. The answer is the job, `pending`; follow it at its `Location`.")
            .Produces<SqlJobView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, $"No `query`, or one longer than {SqlJobs.MaxQueryLength} characters.")
            .WithProblem(StatusCodes.Status403Forbidden, ViewerProblem)
            .WithProblem(StatusCodes.Status404NotFound, "An unknown connection.");
        api.MapGet("/{connection}/job/{id:guid}", GetJob)
            .WithSummary("A batch SQL job")
            .WithDescription("Its status (`pending`, `running`, `success`, `failure`, `cancelled`), timings and attempts; on success the " +
                "rows it affected and the tables it changed; on failure PostgreSQL's message, SQLSTATE and position.")
            .Produces<SqlJobView>()
            .WithProblem(StatusCodes.Status404NotFound, NoSuchJobProblem);
        api.MapDelete("/{connection}/job/{id:guid}", CancelJob)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Cancel a batch SQL job")
            .WithDescription("A pending job is cancelled at once; a running one within about a second, by its worker, which stops the " +
                "statement (its changes roll back). The answer is the job as it is now.")
            .Produces<SqlJobView>()
            .WithProblem(StatusCodes.Status403Forbidden, ViewerProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchJobProblem);
        api.MapGet("/jobs", ListJobs)
            .WithSummary("The organization's batch SQL jobs")
            .WithDescription("Newest first, a page at a time.")
            .Produces<SqlJobPage>()
            .WithProblem(StatusCodes.Status400BadRequest, $"`page` below 1, or `pageSize` outside 1 to {MaxPageSize}.");
        return app;
    }

    public static async Task<IResult> CreateJob([Description(ParameterDescriptions.Connection)] string connection, SqlJobBody body, ClaimsPrincipal user, JobStore store,
        DataConnections connections, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await connections.FindAsync(ConnectionScope.Of(user), connection, cancellationToken) is null)
        {
            return ConnectionProblems.Unknown(connection);
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
            MessagingTopology.Topics.SqlJobs, cancellationToken, userId: user.GetUserId());
        response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/v3/sql/{connection}/job/{job.Id}", SqlJobView.From(job));
    }

    public static async Task<IResult> GetJob([Description(ParameterDescriptions.Connection)] string connection,
        [Description(JobId)] Guid id, ClaimsPrincipal user, JobStore store, HttpResponse response,
        CancellationToken cancellationToken)
    {
        response.Headers.CacheControl = "no-store";
        var job = await store.FindAsync(id, user.GetOrganizationId(), SqlJobs.Kind, cancellationToken);
        return job is null || job.Connection != connection ? NoSuchJob(id) : TypedResults.Ok(SqlJobView.From(job));
    }

    /// <summary>A pending job is cancelled at once; a running one within about a second, by its worker, which stops the statement.</summary>
    public static async Task<IResult> CancelJob([Description(ParameterDescriptions.Connection)] string connection,
        [Description(JobId)] Guid id, ClaimsPrincipal user, JobStore store, HttpResponse response,
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
        [Description(ParameterDescriptions.Page)] int page = 1, [Description(ParameterDescriptions.PageSize)] int pageSize = 20)
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

public sealed record SqlJobBody([property: Description("The SQL the job runs: one or more statements, separated by semicolons.")] string? Query);

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
