using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using Npgsql;

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

    public static async Task<IResult> ListImports(ClaimsPrincipal user, MetadataDatabase metadata, CancellationToken cancellationToken,
        int page = 1, int pageSize = 20)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid paging",
                detail: $"page starts at 1 and pageSize is between 1 and {MaxPageSize}.");
        }

        await using var command = metadata.DataSource.CreateCommand("""
            SELECT id, status, progress, error, created_at, started_at, finished_at, count(*) OVER ()
            FROM jobs WHERE organization_id = $1 AND kind = $2
            ORDER BY created_at DESC, id
            LIMIT $3 OFFSET $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = user.GetOrganizationId() });
        command.Parameters.Add(new NpgsqlParameter { Value = JobKind });
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize });
        // As a 64-bit number: a huge page is an empty page, not an overflow.
        command.Parameters.Add(new NpgsqlParameter { Value = (long)(page - 1) * pageSize });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var jobs = new List<ImportJobSummary>();
        long total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(new ImportJobSummary(reader.GetGuid(0), reader.GetString(1),
                JsonSerializer.Deserialize<JsonElement>(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
            total = reader.GetInt64(7);
        }
        return TypedResults.Ok(new ImportJobPage(jobs, page, pageSize, total));
    }
}

public sealed record ImportJobPage(IReadOnlyList<ImportJobSummary> Jobs, int Page, int PageSize, long Total);

public sealed record ImportJobSummary(Guid Id, string Status, JsonElement Progress, string? Error, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);
