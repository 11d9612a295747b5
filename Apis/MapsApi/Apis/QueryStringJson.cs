using System.Text.Json;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>Members of CARTO's GET requests that hold JSON (<c>queryParameters</c>, <c>filters</c>, <c>params</c>…).</summary>
internal static class QueryStringJson
{
    /// <summary>False when the text is not JSON; an empty member (the client sends <c>queryParameters=</c>) is absent.</summary>
    public static bool TryParse(string? text, out JsonElement? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        try
        {
            value = JsonDocument.Parse(text).RootElement;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
