-- The road network lds-api routes on (schema routing), made from the ways osm2pgrouting loaded into routing_load_car and
-- routing_load_foot (the same OpenStreetMap file read with the car and the pedestrian configurations), in the loader's
-- transaction: readers see the old network or the new one.
-- Without CASCADE: an organization's view that reads the network makes PostgreSQL refuse the reload, and the old
-- network serves on, rather than the view being dropped with it.
DROP TABLE IF EXISTS routing.network, routing.car_edges, routing.car_vertices, routing.foot_edges, routing.foot_vertices;
DROP SCHEMA IF EXISTS routing;
CREATE SCHEMA routing;

-- Each edge as both costs of a route take it: seconds (a route's duration, a time isoline) and metres (a distance
-- isoline); a negative reverse cost is a one-way street, which pgRouting does not take backwards. Cars go at the way's
-- speed limit (osm2pgrouting's cost_s: its maxspeed tag, or the configuration's speed for its kind of road); people walk
-- at 5 km/h, both ways of every way.
CREATE TABLE routing.car_edges AS
SELECT gid AS id, source, target, cost_s AS seconds, reverse_cost_s AS reverse_seconds, length_m AS metres,
    CASE WHEN reverse_cost_s < 0 THEN -1 ELSE length_m END AS reverse_metres, the_geom AS geom
FROM routing_load_car.ways;

CREATE TABLE routing.foot_edges AS
SELECT gid AS id, source, target, length_m / (5 / 3.6) AS seconds, length_m / (5 / 3.6) AS reverse_seconds, length_m AS metres,
    length_m AS reverse_metres, the_geom AS geom
FROM routing_load_foot.ways;

-- Only the largest strongly connected component of each network is kept: a point snaps to the nearest vertex of it, so
-- every route between two snapped points exists (an island of a few ways, a car park whose one-way exit is not in the
-- extract, would otherwise make a destination unreachable from most origins).
DO $$
DECLARE
    mode text;
BEGIN
    FOREACH mode IN ARRAY ARRAY['car', 'foot'] LOOP
        EXECUTE format($sql$
            CREATE TEMPORARY TABLE main_component AS
            WITH components AS (
                SELECT component, node FROM pgr_strongComponents(
                    'SELECT id, source, target, seconds AS cost, reverse_seconds AS reverse_cost FROM routing.%1$I')
            ), largest AS (
                SELECT component FROM components GROUP BY component ORDER BY count(*) DESC LIMIT 1
            )
            SELECT node AS id FROM components WHERE component = (SELECT component FROM largest);
            DELETE FROM routing.%1$I e WHERE NOT EXISTS (SELECT FROM main_component WHERE id = e.source)
                OR NOT EXISTS (SELECT FROM main_component WHERE id = e.target);
            CREATE TABLE routing.%2$I AS
            SELECT v.id, v.the_geom AS geom FROM routing_load_%3$s.ways_vertices_pgr v JOIN main_component USING (id);
            DROP TABLE main_component;
            ALTER TABLE routing.%1$I ADD PRIMARY KEY (id);
            ALTER TABLE routing.%2$I ADD PRIMARY KEY (id);
            CREATE INDEX ON routing.%2$I USING gist (geom);
            CREATE INDEX ON routing.%1$I USING gist (geom);
            $sql$, mode || '_edges', mode || '_vertices', mode);
    END LOOP;
END
$$;

CREATE TABLE routing.network (version text NOT NULL, source text NOT NULL, attribution text NOT NULL, car_edges bigint NOT NULL,
    foot_edges bigint NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now());

DROP SCHEMA routing_load_car CASCADE;
DROP SCHEMA routing_load_foot CASCADE;

ANALYZE routing.car_edges, routing.car_vertices, routing.foot_edges, routing.foot_vertices;
GRANT USAGE ON SCHEMA routing TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA routing TO PUBLIC;
