using CartoSelfHosted.ServiceDefaults.Problems;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>How the caller's SQL going wrong reads as problem details (RFC 9457).</summary>
public static class SqlProblems
{
    /// <summary>
    /// PostgreSQL's refusal of the caller's SQL, with its message, SQLSTATE and position. Failures of the server itself
    /// (connection, resources, internal errors) are not the caller's and give null: the platform answers those as 5xx.
    /// </summary>
    public static IResult? FromPostgres(PostgresException ex)
    {
        var (status, type, title) = ex.SqlState switch
        {
            PostgresErrorCodes.ReadOnlySqlTransaction =>
                (StatusCodes.Status403Forbidden, ProblemTypes.ReadOnlyQuery, "Queries only read"),
            PostgresErrorCodes.InsufficientPrivilege =>
                (StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Not allowed"),
            // The one protocol error that is the caller's: $n placeholders without as many queryParameters.
            PostgresErrorCodes.ProtocolViolation when ex.MessageText.StartsWith("bind message supplies", StringComparison.Ordinal) =>
                (StatusCodes.Status400BadRequest, ProblemTypes.SqlError, "The statement's parameters ($1, $2…) and queryParameters do not match"),
            PostgresErrorCodes.QueryCanceled when IsStatementTimeout(ex) =>
                (StatusCodes.Status400BadRequest, ProblemTypes.QueryTimeout, "The query ran past its time limit"),
            _ when ex.SqlState[..2] is "08" or "53" or "57" or "58" or "XX" => (0, "", ""),
            _ => (StatusCodes.Status400BadRequest, ProblemTypes.SqlError, "The SQL cannot run"),
        };
        if (status == 0)
        {
            return null;
        }
        var extensions = new Dictionary<string, object?> { ["sqlState"] = ex.SqlState };
        if (ex.Position > 0)
        {
            extensions["position"] = ex.Position;
        }
        if (ex.Hint is { Length: > 0 } hint)
        {
            extensions["hint"] = hint;
        }
        return TypedResults.Problem(statusCode: status, type: type, title: title, detail: ex.MessageText, extensions: extensions);
    }

    public static bool IsStatementTimeout(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.QueryCanceled && ex.MessageText.Contains("statement timeout", StringComparison.Ordinal);
}
