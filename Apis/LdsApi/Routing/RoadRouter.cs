using System.Text.Json;
using CartoSelfHosted.Platform.Warehouse;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.LdsApi.Routing;

/// <summary>How a route goes: its network's tables in the warehouse (Platform/RoadNetwork), chosen by name, never by user text.</summary>
public sealed record TravelMode(string Name, string Edges, string Vertices)
{
    public static readonly TravelMode Car = new("car", "routing.car_edges", "routing.car_vertices");
    public static readonly TravelMode Walk = new("walk", "routing.foot_edges", "routing.foot_vertices");

    public static IReadOnlyList<TravelMode> All { get; } = [Car, Walk];

    /// <summary>pgRouting's edges query for a cost: the seconds of the way at this mode's speed, or its metres.</summary>
    public string EdgesQuery(bool byDistance) => byDistance
        ? $"SELECT id, source, target, metres AS cost, reverse_metres AS reverse_cost FROM {Edges}"
        : $"SELECT id, source, target, seconds AS cost, reverse_seconds AS reverse_cost FROM {Edges}";
}

/// <summary>A point snapped to the network: how far the nearest vertex of the network is.</summary>
public sealed record Snap(int Index, double Metres);

public sealed record Route(IReadOnlyList<Snap> Snaps, JsonElement? Geometry, double Metres, double Seconds);

public sealed record Isoline(double Range, JsonElement Geometry);

public sealed record Isolines(Snap Origin, IReadOnlyList<Isoline> Polygons);

/// <summary>
/// Routes and isolines on the warehouse's road network, each call one statement: points snap to the nearest vertex of the
/// network (which holds only its largest strongly connected component, so any two of its vertices are joined), then
/// pgr_dijkstraVia through them, or pgr_drivingDistance from the origin cut into concave hulls per range.
/// </summary>
public sealed class RoadRouter(WarehouseDatabase warehouse)
{
    /// <summary>
    /// The stops in order (lon, lat): their snapping distances, and the route through their vertices as one line, with its
    /// metres and seconds (a row's route_agg_cost is the cost before its edge: the last edge's own cost is added). Each edge is taken the way it was walked (reversed when the route goes from its target), so the line
    /// runs from the origin to the destination.
    /// </summary>
    public async Task<Route> RouteAsync(TravelMode mode, IReadOnlyList<(double Lon, double Lat)> stops, CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            WITH stops AS (
                SELECT input.ordinality, v.id, ST_Distance(v.geom::geography, input.point::geography) AS snap_m
                FROM (SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS point, ordinality
                      FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS stop (lon, lat, ordinality)) input
                CROSS JOIN LATERAL (SELECT id, geom FROM {mode.Vertices} ORDER BY geom <-> input.point LIMIT 1) v
            ), via AS (
                -- Two stops in a row at one vertex are one stop: pgRouting finds no path from a vertex to itself.
                SELECT array_agg(id ORDER BY ordinality) AS vertices
                FROM (SELECT id, ordinality, lag(id) OVER (ORDER BY ordinality) AS previous FROM stops) s
                WHERE previous IS DISTINCT FROM id
            ), path AS (
                SELECT p.seq, p.node, p.edge, p.cost, p.route_agg_cost
                FROM via, pgr_dijkstraVia($3, via.vertices, directed => true, strict => true, U_turn_on_edge => true) p
                WHERE cardinality(via.vertices) > 1
            )
            SELECT (SELECT array_agg(snap_m ORDER BY ordinality) FROM stops),
                ST_AsGeoJSON(ST_MakeLine(CASE WHEN e.source = path.node THEN e.geom ELSE ST_Reverse(e.geom) END ORDER BY path.seq), 7),
                coalesce(sum(e.metres), 0), coalesce(max(path.route_agg_cost + path.cost), 0)
            FROM path JOIN {mode.Edges} e ON e.id = path.edge
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double, Value = stops.Select(stop => stop.Lon).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double, Value = stops.Select(stop => stop.Lat).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = mode.EdgesQuery(byDistance: false) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var snaps = reader.GetFieldValue<double[]>(0).Select((metres, index) => new Snap(index, metres)).ToList();
        return new Route(snaps, reader.IsDBNull(1) ? null : JsonDocument.Parse(reader.GetString(1)).RootElement,
            reader.GetDouble(2), reader.GetDouble(3));
    }

    /// <summary>
    /// The area reached from the origin within each range (seconds or metres, ascending): the concave hull (0.25) of the
    /// vertices reached and the origin itself, joined with the smaller ranges' hulls so that the polygons nest.
    /// </summary>
    public async Task<Isolines> IsolinesAsync(TravelMode mode, (double Lon, double Lat) origin, IReadOnlyList<double> ranges, bool byDistance,
        CancellationToken cancellationToken)
    {
        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            WITH origin AS (
                SELECT v.id, o.point, ST_Distance(v.geom::geography, o.point::geography) AS snap_m
                FROM (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS point) o
                CROSS JOIN LATERAL (SELECT id, geom FROM {mode.Vertices} ORDER BY geom <-> o.point LIMIT 1) v
            ), reached AS (
                SELECT d.node, d.agg_cost
                FROM pgr_drivingDistance($3, (SELECT id FROM origin), (SELECT max(r) FROM unnest($4::float8[]) r), directed => true) d
            ), hulls AS (
                SELECT ranges.range, ST_ConcaveHull(ST_Collect(ST_Collect(v.geom), (SELECT point FROM origin)), 0.25) AS hull
                FROM unnest($4::float8[]) AS ranges (range)
                JOIN reached ON reached.agg_cost <= ranges.range
                JOIN {mode.Vertices} v ON v.id = reached.node
                GROUP BY ranges.range
            )
            SELECT (SELECT snap_m FROM origin), outer_hull.range, ST_AsGeoJSON(ST_Union(inner_hull.hull), 7)
            FROM hulls outer_hull JOIN hulls inner_hull ON inner_hull.range <= outer_hull.range
            GROUP BY outer_hull.range
            UNION ALL
            SELECT snap_m, NULL, NULL FROM origin
            ORDER BY 2 NULLS FIRST
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = origin.Lon });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = origin.Lat });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = mode.EdgesQuery(byDistance) });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double, Value = ranges.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var snap = new Snap(0, reader.GetDouble(0));
        var polygons = new List<Isoline>();
        while (await reader.ReadAsync(cancellationToken))
        {
            polygons.Add(new Isoline(reader.GetDouble(1), JsonDocument.Parse(reader.GetString(2)).RootElement));
        }
        return new Isolines(snap, polygons);
    }
}
