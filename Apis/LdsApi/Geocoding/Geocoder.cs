using CartoSelfHosted.Platform.Warehouse;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.LdsApi.Geocoding;

/// <summary>
/// Geocoding on the warehouse's gazetteer: each call one statement of the SQL functions lds.geocode and
/// lds.reverse_geocode (Platform/Gazetteer), which any organization's SQL may call the same way.
/// </summary>
public sealed class Geocoder(WarehouseDatabase warehouse)
{
    /// <summary>Addresses geocoded by one statement of a batch; a batch's statements run on as many connections as cores.</summary>
    public const int BatchStatementSize = 1000;

    private const string Candidate =
        "id, name, admin1, admin2, country_code, country_name, latitude, longitude, population, relevance, match_type";

    // A batch statement of 1,000 addresses takes a few seconds; a busy machine may take many more.
    private const int BatchCommandTimeoutSeconds = 300;

    public async Task<IReadOnlyList<GeocodeCandidate>> GeocodeAsync(string address, string? country, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {Candidate} FROM lds.geocode($1, $2, $3)", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = address });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)country ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = limit });
        var candidates = new List<GeocodeCandidate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            candidates.Add(ReadCandidate(reader, 0));
        }
        return candidates;
    }

    /// <summary>
    /// The candidates of every address, in their order: one statement per <see cref="BatchStatementSize"/> addresses (a
    /// lateral join over the arrays of addresses and countries), never a statement per address.
    /// </summary>
    public async Task<IReadOnlyList<GeocodeCandidate>[]> GeocodeBatchAsync(IReadOnlyList<(string Address, string? Country)> addresses,
        int limit, CancellationToken cancellationToken)
    {
        var results = new IReadOnlyList<GeocodeCandidate>[addresses.Count];
        var statements = Enumerable.Range(0, (addresses.Count + BatchStatementSize - 1) / BatchStatementSize);
        await Parallel.ForEachAsync(statements, new ParallelOptions
        {
            MaxDegreeOfParallelism = Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        }, async (statement, token) =>
        {
            var first = statement * BatchStatementSize;
            var part = addresses.Skip(first).Take(BatchStatementSize).ToList();
            var found = await GeocodeStatementAsync(part, limit, token);
            for (var index = 0; index < part.Count; index++)
            {
                results[first + index] = found.GetValueOrDefault(index) ?? [];
            }
        });
        return results;
    }

    private async Task<Dictionary<int, List<GeocodeCandidate>>> GeocodeStatementAsync(List<(string Address, string? Country)> addresses,
        int limit, CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT a.ordinality::int - 1, {Candidate}
            FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS a (address, country, ordinality)
            CROSS JOIN LATERAL lds.geocode(a.address, a.country, $3)
            """, connection) { CommandTimeout = BatchCommandTimeoutSeconds };
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = addresses.Select(entry => entry.Address).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
            Value = addresses.Select(entry => (object?)entry.Country ?? DBNull.Value).ToArray(),
        });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = limit });
        var found = new Dictionary<int, List<GeocodeCandidate>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var index = reader.GetInt32(0);
            if (!found.TryGetValue(index, out var candidates))
            {
                found[index] = candidates = [];
            }
            candidates.Add(ReadCandidate(reader, 1));
        }
        return found;
    }

    /// <summary>The place at a point, or none (at sea, far from any place).</summary>
    public async Task<IReadOnlyList<ReverseCandidate>> ReverseGeocodeAsync(double latitude, double longitude, CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT id, name, admin1, admin2, country_code, country_name, latitude, longitude, population, region, region_code, distance_m
            FROM lds.reverse_geocode($1, $2)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = latitude });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = longitude });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return [];
        }
        return [new ReverseCandidate(reader.GetInt64(0), reader.GetString(1), NullableText(reader, 2), NullableText(reader, 3),
            reader.GetString(4), reader.GetString(5), reader.GetDouble(6), reader.GetDouble(7), reader.GetInt32(8), NullableText(reader, 9),
            NullableText(reader, 10), reader.GetDouble(11))];
    }

    private static GeocodeCandidate ReadCandidate(NpgsqlDataReader reader, int first) => new(reader.GetInt64(first),
        reader.GetString(first + 1), NullableText(reader, first + 2), NullableText(reader, first + 3), reader.GetString(first + 4),
        reader.GetString(first + 5), reader.GetDouble(first + 6), reader.GetDouble(first + 7), reader.GetInt32(first + 8),
        reader.GetDouble(first + 9), reader.GetString(first + 10));

    private static string? NullableText(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
