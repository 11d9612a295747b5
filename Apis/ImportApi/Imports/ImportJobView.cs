using System.Text.Json;
using CartoSelfHosted.Platform.Jobs;

namespace CartoSelfHosted.ImportApi.Imports;

/// <summary>An import job as the API shows it: CARTO's shape (<c>id</c>, <c>status</c>) with its progress, outcome and request.</summary>
public sealed record ImportJobView(
    Guid Id,
    string Status,
    string? FileName,
    string? Url,
    string Destination,
    JsonElement Progress,
    JsonElement? Result,
    string? Error,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    public static ImportJobView From(JobRecord job)
    {
        var request = job.Request.Deserialize<ImportJobRequest>(JsonSerializerOptions.Web);
        return new ImportJobView(job.Id, job.Status, request?.FileName, request?.Url,
            request is null ? "" : $"{request.Schema}.{request.Table}", job.Progress, job.Result, job.Error, job.Attempts, job.CreatedAt,
            job.StartedAt, job.FinishedAt);
    }
}

public sealed record ImportJobPage(IReadOnlyList<ImportJobView> Jobs, int Page, int PageSize, long Total);
