using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.WorkspaceApi.Maps;
using CartoSelfHosted.WorkspaceApi.Search;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.WorkspaceApi.Apis;

/// <summary>
/// The workspace's search box: the organization's datasets, saved maps and connections whose words begin with what was
/// typed, best first, and only those the caller would see through their own APIs (<see cref="SearchStore"/>).
/// </summary>
public static class SearchApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v3/search", Search).WithTags("Search")
            .WithSummary("Search datasets, maps and connections")
            .WithDescription("The organization's datasets (table names, schema, description, column names), saved maps (title, description) " +
                "and connections (name) holding every word of `q`, the last one as a prefix (\"roa\" finds `road_segments`), without regard " +
                "to case or accents; identifiers are split into their words (`road_segments`, `RoadSegments`). Best first: a name's words " +
                "weigh most, then a description's, then column names'. Only what the caller may see elsewhere: datasets of `carto_dw` and " +
                "of connections it may use, the maps its map listing shows, the connections it may use. " +
                "`{items: [{type, id, name, connection, schema, title, description, rank, url}], page, page_size, total}`; `url` is the " +
                "resource in this API.")
            .Produces<CatalogListing<SearchHit>>()
            .WithProblem(StatusCodes.Status400BadRequest, $"`q` without a word or longer than {SearchText.MaxLength} characters or " +
                $"{SearchText.MaxWords} words, an unknown type, `page` below 1 or `page_size` outside 1 to {MaxPageSize}.");
        return app;
    }

    public static async Task<IResult> Search(
        [Description("What to look for: words (letters and digits; anything else separates them), at most 200 characters and 16 words.")]
        string? q,
        [Description("The kinds of resource to search, comma-separated: `dataset`, `map`, `connection` (all three).")] string? types,
        [Description("The page, from 1.")] int? page,
        [Description("Hits per page, 1 to 100 (20).")] [FromQuery(Name = "page_size")] int? pageSize,
        ClaimsPrincipal user, SearchStore search, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(q) || q.Length > SearchText.MaxLength)
        {
            return ProblemResults.BadRequest("Invalid q", $"q is what to look for: 1 to {SearchText.MaxLength} characters.");
        }
        var words = SearchText.Words(q);
        if (words.Count is 0 or > SearchText.MaxWords)
        {
            return ProblemResults.BadRequest("Invalid q", $"q holds 1 to {SearchText.MaxWords} words of letters or digits.");
        }
        var wanted = types is null
            ? SearchTypes.All.ToHashSet()
            : types.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        if (wanted.Count == 0 || !wanted.IsSubsetOf(SearchTypes.All))
        {
            return ProblemResults.BadRequest("Invalid types", $"types is a comma-separated list of {string.Join(", ", SearchTypes.All)}.");
        }
        var (number, size) = (page ?? 1, pageSize ?? DefaultPageSize);
        if (number < 1 || size is < 1 or > MaxPageSize)
        {
            return ProblemResults.BadRequest("Invalid paging", $"page is 1 or more, and page_size 1 to {MaxPageSize}.");
        }
        // A token that is no user's reads no map through the Maps API, so it finds none either.
        var reader = MapReader.Of(user);
        var (hits, total) = await search.SearchAsync(new SearchRequest(user.GetOrganizationId(), user.GetUserId(), reader?.IsAdmin ?? false,
            ReadsMaps: reader is not null, SearchText.ToTsQuery(words), wanted, number, size), cancellationToken);
        return TypedResults.Ok(new CatalogListing<SearchHit>(hits, number, size, total));
    }
}

