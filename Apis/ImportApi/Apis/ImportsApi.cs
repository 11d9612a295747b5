using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.ImportApi.Imports;
using CartoSelfHosted.Platform.Connections;
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
    private const string ImportId = "The import's id, as its creation gave it.";
    private const string NoSuchImportProblem = "The organization has no such import.";
    private const string ViewerProblem = "The caller is a viewer: importing takes an editor or an admin.";
    private const string StorageUnavailableProblem = "Object storage (the local folder, S3 or Azure Blob) failed to keep the file: nothing was kept.";

    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/imports").WithTags("Imports").AcceptsApiAccessTokens(CartoApis.Imports);
        api.MapPost("", CreateImport)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Start an import")
            .WithDescription("Takes a file (multipart/form-data, the part `file`) or a `url` (JSON, or a form field), keeps it in object " +
                "storage and records the job; import-worker then reads it into a new table, whole or not at all. The answer is the " +
                "job, `pending`; follow it at its `Location`.")
            .Accepts<ImportRequest>("multipart/form-data", "application/json")
            .Produces<ImportJobView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, "Neither a file nor a URL, or both; an invalid form, JSON, `overwrite`, " +
                "`autoguessing`, `schema` or `destination` (the answer names what it could be); or a URL that is not http(s) or " +
                "resolves to a private address.")
            .WithProblem(StatusCodes.Status403Forbidden, ViewerProblem)
            .WithProblem(StatusCodes.Status404NotFound, "An unknown connection.")
            .WithProblem(StatusCodes.Status409Conflict, "The destination table exists, and `overwrite` is not true.")
            .WithProblem(StatusCodes.Status413PayloadTooLarge, "The file is larger than an import takes (`Imports:MaxFileBytes`, CARTO's 5 GB).")
            .WithProblem(StatusCodes.Status429TooManyRequests, "The organization already has as many imports waiting or running as it may " +
                "(`Imports:MaxActiveJobsPerOrganization`, 5).")
            .WithProblem(StatusCodes.Status503ServiceUnavailable, StorageUnavailableProblem);
        api.MapPost("/preview", PreviewImport)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Preview a file")
            .WithDescription("What importing the file would make, read from its first features, writing nothing: its format, the " +
                $"columns with the types their first {ImportPreview.SampledFeatures} features give them, the geometry found, and the " +
                $"first {ImportPreview.ShownRows} rows.")
            .Accepts<ImportPreviewRequest>("multipart/form-data")
            .Produces<ImportPreview>()
            .WithProblem(StatusCodes.Status400BadRequest, "No file, an invalid form, or a file that cannot be imported (the answer says why).")
            .WithProblem(StatusCodes.Status403Forbidden, ViewerProblem)
            .WithProblem(StatusCodes.Status413PayloadTooLarge, "The file is larger than an import takes (`Imports:MaxFileBytes`).")
            .WithProblem(StatusCodes.Status503ServiceUnavailable, StorageUnavailableProblem);
        api.MapGet("", ListImports)
            .WithSummary("The organization's imports")
            .WithDescription("Newest first, a page at a time.")
            .Produces<ImportJobPage>()
            .WithProblem(StatusCodes.Status400BadRequest, $"`page` below 1, or `pageSize` outside 1 to {MaxPageSize}.");
        api.MapGet("/{id:guid}", GetImport)
            .WithSummary("An import")
            .WithDescription("Its `status` (`pending`, `running`, `success`, `failure`, `cancelled`) and `progress` (bytes read of the " +
                "total, rows written); on success the `result` (table, rows, columns and their types, geometry type, bounds, invalid " +
                "geometries, warnings); on failure the `error`, with where it was found (`line 12`, `feature 7`).")
            .Produces<ImportJobView>()
            .WithProblem(StatusCodes.Status404NotFound, NoSuchImportProblem);
        api.MapPost("/{id:guid}/cancel", CancelImport)
            .RequireAuthorization(PlatformPolicies.Edit)
            .WithSummary("Cancel an import")
            .WithDescription("A pending import ends at once; a running one is stopped and rolled back. The answer is the import as it is now.")
            .Produces<ImportJobView>()
            .WithProblem(StatusCodes.Status403Forbidden, ViewerProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchImportProblem);
        return app;
    }

    public static async Task<IResult> CreateImport(HttpContext context, ClaimsPrincipal user, JobStore store, IObjectStorage storage,
        DataConnections connections, IOptions<ImportOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // Refused before the upload is read: a sixth import would otherwise send gigabytes only to be turned away.
        var limit = options.Value.MaxActiveJobsPerOrganization;
        if (await store.CountActiveAsync(user.GetOrganizationId(), ImportJobs.Kind, cancellationToken) >= limit)
        {
            return ImportProblems.TooManyImports(limit);
        }
        AllowBodyOf(context, options.Value.MaxFileBytes);
        var id = Guid.CreateVersion7();
        var logger = loggers.CreateLogger(typeof(ImportsApi));
        var (submission, problem) = await ReadSubmissionAsync(context, ImportJobs.StorageKey(id), storage, options.Value, logger, cancellationToken);
        if (submission is null)
        {
            return problem!;
        }
        try
        {
            var result = await RecordAsync(id, submission, user, store, connections, options.Value, cancellationToken);
            if (result is not Created<ImportJobView>)
            {
                await storage.DeleteOrWarnAsync(ImportJobs.StorageFolder(id), logger);
            }
            return result;
        }
        catch
        {
            await storage.DeleteOrWarnAsync(ImportJobs.StorageFolder(id), logger);
            throw;
        }
    }

    /// <summary>The request, its file in object storage; a store that fails is a 503, its reason logged.</summary>
    private static async Task<(ImportSubmission? Submission, IResult? Problem)> ReadSubmissionAsync(HttpContext context, string storageKey,
        IObjectStorage storage, ImportOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await ImportSubmission.ReadAsync(context.Request, storageKey, storage, options, logger, cancellationToken);
        }
        catch (ObjectStorageException ex)
        {
            logger.LogError("An upload could not be kept: {Reason}", ex.Message);
            return (null, ImportProblems.StorageUnavailable());
        }
    }

    private static async Task<IResult> RecordAsync(Guid id, ImportSubmission submission, ClaimsPrincipal user, JobStore store,
        DataConnections connections, ImportOptions options, CancellationToken cancellationToken)
    {
        if (await connections.FindAsync(ConnectionScope.Of(user), submission.Connection, cancellationToken) is not { } target)
        {
            return ConnectionProblems.Unknown(submission.Connection);
        }
        if (submission.Url is { } url && await ImportUrls.CheckAsync(url, options.AllowPrivateUrls, cancellationToken) is (null, var urlProblem))
        {
            return ProblemResults.BadRequest("URL not allowed", urlProblem!);
        }
        if (submission.ResolveDestination(target.DefaultSchema, out var problem) is not var (schema, table))
        {
            return problem!;
        }
        if (!submission.Overwrite)
        {
            // As the organization (or the connection's login): what it cannot see does not stop its import (and is not revealed).
            await using var connection = await target.OpenAsync(cancellationToken);
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
                MessagingTopology.Topics.ImportJobs, cancellationToken, options.MaxActiveJobsPerOrganization, id, user.GetUserId());
            return TypedResults.Created($"/api/v3/imports/{job.Id}", ImportJobView.From(job));
        }
        catch (ActiveJobLimitException ex)
        {
            return ImportProblems.TooManyImports(ex.Limit);
        }
    }

    public static async Task<IResult> PreviewImport(HttpContext context, IObjectStorage storage, IOptions<ImportOptions> options,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        AllowBodyOf(context, options.Value.MaxFileBytes);
        var logger = loggers.CreateLogger(typeof(ImportsApi));
        var folder = $"previews/{Guid.NewGuid():N}";
        var (submission, problem) = await ReadSubmissionAsync(context, folder + "/file", storage, options.Value, logger, cancellationToken);
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
            using var file = await storage.OpenLocalFileAsync(folder + "/file", cancellationToken)
                ?? throw new InvalidOperationException($"The preview's file {folder}/file vanished from object storage.");
            return TypedResults.Ok(ImportPreview.Read(file.Path, fileName, file.ScratchFolder, submission.Autoguessing, options.Value, cancellationToken));
        }
        catch (ImportFormatException ex)
        {
            return ProblemResults.BadRequest("The file cannot be imported", ex.Message);
        }
        catch (ObjectStorageException ex)
        {
            logger.LogError("A preview's file could not be read back: {Reason}", ex.Message);
            return ImportProblems.StorageUnavailable();
        }
        finally
        {
            await storage.DeleteOrWarnAsync(folder, logger);
        }
    }

    public static async Task<IResult> ListImports(ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken,
        [Description("The page, from 1.")] int page = 1, [Description("Imports per page, 1 to 100.")] int pageSize = 20)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return ProblemResults.BadRequest("Invalid paging", $"page starts at 1 and pageSize is between 1 and {MaxPageSize}.");
        }
        var jobs = await store.ListAsync(user.GetOrganizationId(), ImportJobs.Kind, page, pageSize, cancellationToken);
        return TypedResults.Ok(new ImportJobPage(jobs.Jobs.Select(ImportJobView.From).ToList(), page, pageSize, jobs.Total));
    }

    public static async Task<IResult> GetImport([Description(ImportId)] Guid id, ClaimsPrincipal user, JobStore store,
        CancellationToken cancellationToken) =>
        await store.FindAsync(id, user.GetOrganizationId(), ImportJobs.Kind, cancellationToken) is { } job
            ? TypedResults.Ok(ImportJobView.From(job))
            : ImportProblems.NoSuchJob(id);

    public static async Task<IResult> CancelImport([Description(ImportId)] Guid id, ClaimsPrincipal user, JobStore store,
        CancellationToken cancellationToken) =>
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

/// <summary>
/// What starting an import takes, as its document shows it. Nothing binds it: <see cref="ImportSubmission"/> reads the
/// request by hand, so that a file streams into object storage instead of being buffered by a form binder.
/// </summary>
public sealed record ImportRequest(
    [property: Description("The file (multipart/form-data only): " + ImportRequest.Formats + ".")]
    IFormFile? File = null,
    [property: Description("Where to fetch the file instead: http(s), and not a loopback, private or link-local address.")]
    string? Url = null,
    [property: Description("The warehouse connection: `carto_dw`, the default and the only one.")]
    string? Connection = null,
    [property: Description("The new table, `table` or `schema.table` in the organization's own schema: lower-case letters, digits " +
        "and underscores. Made from the file's name when absent.")]
    string? Destination = null,
    [property: Description("Whether an existing table of that name is replaced (false: it is a 409).")]
    bool? Overwrite = null,
    [property: Description(ImportRequest.AutoguessingDescription)]
    bool? Autoguessing = null,
    [property: Description("Column types by field, overriding the guesses: `{\"population\": \"integer\"}` or " +
        "`[{\"name\": \"population\", \"type\": \"integer\"}]`; the types are " + ColumnTypeNames.Accepted + ".")]
    JsonElement? Schema = null)
{
    public const string Formats = "CSV, GeoJSON, a zipped Shapefile, GeoPackage, KML or KMZ";

    public const string AutoguessingDescription = "Whether column types are guessed from the values (true, the default), or every column is text.";
}

/// <summary>What a preview takes, as its document shows it; read by hand like <see cref="ImportRequest"/>.</summary>
public sealed record ImportPreviewRequest(
    [property: Description("The file: " + ImportRequest.Formats + ".")] IFormFile File,
    [property: Description(ImportRequest.AutoguessingDescription)] bool? Autoguessing = null);
