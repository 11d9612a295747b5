using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>The caller's <c>queryParameters</c>: a JSON array whose values bind, in order, to <c>$1</c>, <c>$2</c>…</summary>
public static class QueryParameters
{
    public const int MaxCount = 1000;

    /// <summary>The parameters, or the reason they cannot be used.</summary>
    public static (List<NpgsqlParameter>? Parameters, string? Error) Parse(JsonElement? value)
    {
        var parameters = new List<NpgsqlParameter>();
        if (value is null || value.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return (parameters, null);
        }
        if (value.Value.ValueKind == JsonValueKind.Object)
        {
            return (null, "queryParameters by name are not supported: give an array, bound in order to $1, $2…");
        }
        if (value.Value.ValueKind != JsonValueKind.Array)
        {
            return (null, "queryParameters is a JSON array of values, bound in order to $1, $2…");
        }
        if (value.Value.GetArrayLength() > MaxCount)
        {
            return (null, $"queryParameters has more than {MaxCount} values.");
        }
        var index = 0;
        foreach (var item in value.Value.EnumerateArray())
        {
            index++;
            // Sent as PostgreSQL's `unknown`, so the server infers each type from where it is used, as it does for a literal.
            object? text = item.ValueKind switch
            {
                JsonValueKind.String => item.GetString(),
                JsonValueKind.Number => item.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => DBNull.Value,
                _ => null,
            };
            if (text is null)
            {
                return (null, $"queryParameters[{index - 1}] (${index}) is an {item.ValueKind.ToString().ToLowerInvariant()}; only strings, numbers, booleans and null bind.");
            }
            parameters.Add(new NpgsqlParameter { Value = text, NpgsqlDbType = NpgsqlDbType.Unknown });
        }
        return (parameters, null);
    }

    /// <summary>The GET form: <c>queryParameters</c> is the JSON array as text.</summary>
    public static (List<NpgsqlParameter>? Parameters, string? Error) Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return Parse((JsonElement?)null);
        }
        try
        {
            return Parse(JsonSerializer.Deserialize<JsonElement>(json));
        }
        catch (JsonException ex)
        {
            return (null, $"queryParameters is not valid JSON: {ex.Message}");
        }
    }
}
