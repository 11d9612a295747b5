namespace CartoSelfHosted.Platform.Catalog;

/// <summary>A column of a catalogued table, its type as PostgreSQL writes it (<c>format_type</c>).</summary>
public sealed record CatalogColumn(string Name, string Type);

/// <summary>
/// A table or view of a connection as the catalog keeps it: what the data explorer shows and search finds. The row count
/// is exact for small tables and PostgreSQL's estimate for big ones (<see cref="RowCountEstimated"/>); bounds are in
/// degrees, exact for small tables and estimated from statistics for big ones, null without a geometry column.
/// </summary>
public sealed record CatalogTable(
    string Schema,
    string Name,
    string Kind,
    IReadOnlyList<CatalogColumn> Columns,
    string? GeometryColumn,
    string? GeometryType,
    int? Srid,
    long? RowCount,
    bool RowCountEstimated,
    long? SizeBytes,
    double[]? Bounds,
    string? Description,
    DateTimeOffset? ChangedAt = null,
    DateTimeOffset? RefreshedAt = null)
{
    public const string TableKind = "table";
    public const string ViewKind = "view";
    public const string MaterializedViewKind = "materialized_view";
    public const string ForeignTableKind = "foreign_table";
}

/// <summary>A schema of a connection, with how many catalogued tables and views it holds.</summary>
public sealed record CatalogSchema(string Name, long Tables);

/// <summary>A page of a listing and how many there are in all.</summary>
public sealed record CatalogPage<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);
