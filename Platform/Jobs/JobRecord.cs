using System.Text.Json;

namespace CartoSelfHosted.Platform.Jobs;

public static class JobStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Cancelled = "cancelled";

    public static bool IsFinished(string status) => status is Success or Failure or Cancelled;
}

/// <summary>A row of <c>jobs</c>: the request, the outcome and what a worker needs to recover an interrupted run.</summary>
public sealed record JobRecord(
    Guid Id,
    string Kind,
    Guid OrganizationId,
    string Status,
    string? Connection,
    JsonElement Request,
    JsonElement Progress,
    JsonElement? Result,
    string? Error,
    JsonElement? ErrorDetails,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? CancelRequestedAt,
    long? WarehouseXid,
    int? WarehousePid,
    Guid? UserId = null);

public sealed record JobPage(IReadOnlyList<JobRecord> Jobs, int Page, int PageSize, long Total);
