using System.Security.Claims;
using CartoSelfHosted.ImportApi.Imports;
using CartoSelfHosted.Platform.Imports;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.ObjectStorage;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.ImportApi.Apis;

/// <summary>CARTO's imports (v3): start one from an upload or a URL, follow it, list, cancel, and preview a file.</summary>
public static class ImportsApi
{
    private const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/imports");
        api.MapPost("", CreateImport);
        api.MapPost("/preview", PreviewImport);
        api.MapGet("", ListImports);
        api.MapGet("/{id:guid}", GetImport);
        api.MapPost("/{id:guid}/cancel", CancelImport);
        return app;
    }

    public static async Task<IResult> CreateImport(HttpContext context, ClaimsPrincipal user, JobStore store, IObjectStorage storage,
        OrganizationDataSources organizations, IOptions<ImportOptions> options, CancellationToken cancellationToken)
    {
        // Refused before the upload is read: a sixth import would otherwise send gigabytes only to be turned away.
        var limit = options.Value.MaxActiveJobsPerOrganization;
        if (await store.CountActiveAsync(user.GetOrganizationId(), ImportJobs.Kind, cancellationToken) >= limit)
        {
            return ImportProblems.TooManyImports(limit);
        }
        AllowBodyOf(context, options.Value.MaxFileBytes);
        var id = Guid.CreateVersion7();
        var key = ImportJobs.StorageKey(id);
        var (submission, problem) = await ImportSubmission.ReadAsync(context.Request, key, storage, options.Value, cancellationToken);
        if (submission is null)
        {
            return problem!;
        }
        try
        {
            var result = await RecordAsync(id, submission, user, store, organizations, options.Value, cancellationToken);
            if (result is not Created<ImportJobView>)
            {
                storage.Delete(ImportJobs.StorageFolder(id));
            }
            return result;
        }
        catch
        {
            storage.Delete(ImportJobs.StorageFolder(id));
            throw;
        }
    }

    private static async Task<IResult> RecordAsync(Guid id, ImportSubmission submission, ClaimsPrincipal user, JobStore store,
        OrganizationDataSources organizations, ImportOptions options, CancellationToken cancellationToken)
    {
        if (submission.Connection != WarehouseDatabase.BuiltInConnectionName)
        {
            return ImportProblems.UnknownConnection(submission.Connection);
        }
        if (submission.Url is { } url && await ImportUrls.CheckAsync(url, options.AllowPrivateUrls, cancellationToken) is (null, var urlProblem))
        {
            return ProblemResults.BadRequest("URL not allowed", urlProblem!);
        }
        var slug = user.GetOrganizationSlug();
        if (submission.ResolveDestination(WarehouseDatabase.OrganizationSchema(slug), out var problem) is not var (schema, table))
        {
            return problem!;
        }
        if (!submission.Overwrite)
        {
            // As the organization: what it cannot see does not stop its import (and is not revealed).
            await using var connection = await organizations.OpenConnectionAsync(slug, cancellationToken);
            if (await WarehouseTables.ExistsAsync(connection, schema, table, cancellationToken))
            {
                return ImportProblems.TableExists(schema, table);
            }
        }
        var request = new ImportJobRequest(submission.FileName, submission.FileSize, submission.Url, schema, table, submission.Overwrite,
            submission.Autoguessing, submission.ColumnTypes);
        try
        {
            var job = await store.CreateAsync(ImportJobs.Kind, user.GetOrganizationId(), submission.Connection, request,
                MessagingTopology.Topics.ImportJobs, cancellationToken, options.MaxActiveJobsPerOrganization, id);
            return TypedResults.Created($"/api/v3/imports/{job.Id}", ImportJobView.From(job));
        }
        catch (ActiveJobLimitException ex)
        {
            return ImportProblems.TooManyImports(ex.Limit);
        }
    }

    public static async Task<IResult> PreviewImport(HttpContext context, IObjectStorage storage, IOptions<ImportOptions> options,
        CancellationToken cancellationToken)
    {
        AllowBodyOf(context, options.Value.MaxFileBytes);
        var folder = $"previews/{Guid.NewGuid():N}";
        var (submission, problem) = await ImportSubmission.ReadAsync(context.Request, folder + "/file", storage, options.Value, cancellationToken);
        if (submission is null)
        {
            return problem!;
        }
        try
        {
            if (submission.FileName is not { } fileName)
            {
                return ProblemResults.BadRequest("No file", "A preview reads an uploaded file (multipart part 'file').");
            }
            return TypedResults.Ok(ImportPreview.Read(storage.LocalPath(folder + "/file"), fileName, storage.LocalPath(folder + "/work"),
                submission.Autoguessing, options.Value, cancellationToken));
        }
        catch (ImportFormatException ex)
        {
            return ProblemResults.BadRequest("The file cannot be imported", ex.Message);
        }
        finally
        {
            storage.Delete(folder);
        }
    }

    public static async Task<IResult> ListImports(ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken,
        int page = 1, int pageSize = 20)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return ProblemResults.BadRequest("Invalid paging", $"page starts at 1 and pageSize is between 1 and {MaxPageSize}.");
        }
        var jobs = await store.ListAsync(user.GetOrganizationId(), ImportJobs.Kind, page, pageSize, cancellationToken);
        return TypedResults.Ok(new ImportJobPage(jobs.Jobs.Select(ImportJobView.From).ToList(), page, pageSize, jobs.Total));
    }

    public static async Task<IResult> GetImport(Guid id, ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, user.GetOrganizationId(), ImportJobs.Kind, cancellationToken) is { } job
            ? TypedResults.Ok(ImportJobView.From(job))
            : ImportProblems.NoSuchJob(id);

    public static async Task<IResult> CancelImport(Guid id, ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken) =>
        await store.RequestCancelAsync(id, user.GetOrganizationId(), ImportJobs.Kind, cancellationToken) is { } job
            ? TypedResults.Ok(ImportJobView.From(job))
            : ImportProblems.NoSuchJob(id);

    /// <summary>Lets this request's body reach the import's file limit (Kestrel's default is 30 MB), plus room for the form.</summary>
    private static void AllowBodyOf(HttpContext context, long maxFileBytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxFileBytes + 1024 * 1024;
        }
    }
}
