using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Widgets;

/// <summary>A widget request the caller got wrong; answered as a 400 problem in the shape CARTO's clients read.</summary>
public sealed class WidgetError(string kind, string detail) : Exception(detail)
{
    /// <summary>
    /// <c>@carto/api-client</c> turns exactly this <c>error</c>, with <c>column_name</c>, into its InvalidColumnError;
    /// the detail is then the column's name.
    /// </summary>
    public const string ColumnNotFound = "Column not found";

    public const string InvalidExpression = "Invalid expression";
    public const string InvalidParameters = "Invalid widget parameters";
    public const string InvalidFilters = "Invalid filters";

    public string Kind { get; } = kind;

    public IResult ToProblem() => Kind == ColumnNotFound
        ? TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.BadRequest, title: ColumnNotFound,
            detail: $"The source has no column '{Message}'.",
            extensions: new Dictionary<string, object?> { ["error"] = ColumnNotFound, ["column_name"] = Message })
        : ProblemResults.BadRequest(Kind, Message);
}
