-- The gazetteer, made from what the loader copied into the staging tables, and the functions that search it: lds-api
-- calls them, and so may any organization's SQL (SELECT lds_geocode(address) FROM my_table).

CREATE TABLE lds.countries AS
SELECT DISTINCT ON (code) code, code3, name, official_name FROM staging_countries ORDER BY code;
ALTER TABLE lds.countries ADD PRIMARY KEY (code);

-- Every way a country may be written in an address's context, normalized: its codes, names and other spellings.
CREATE TABLE lds.country_names AS
SELECT DISTINCT country, lds.normalize(name) AS name_key
FROM (SELECT code, code FROM staging_countries UNION ALL SELECT code, code3 FROM staging_countries
      UNION ALL SELECT code, name FROM staging_countries UNION ALL SELECT code, official_name FROM staging_countries
      UNION ALL SELECT country, name FROM staging_country_names) names (country, name)
WHERE lds.normalize(name) <> '';
CREATE INDEX ON lds.country_names (name_key);

-- A place with the names of its admin areas (GeoNames' admin1 and admin2, by code), normalized beside for matching.
CREATE TABLE lds.places AS
SELECT p.id, p.name, p.country, coalesce(c.name, p.country) AS country_name, p.admin1_code, a1.name AS admin1, a2.name AS admin2,
    p.feature_code, p.population, p.latitude, p.longitude, ST_SetSRID(ST_MakePoint(p.longitude, p.latitude), 4326) AS geom,
    coalesce(lds.normalize(a1.name), '') AS admin1_key, coalesce(lds.normalize(a2.name), '') AS admin2_key
FROM staging_places p
LEFT JOIN lds.countries c ON c.code = p.country
LEFT JOIN staging_admin_names a1 ON a1.code = p.country || '.' || p.admin1_code
LEFT JOIN staging_admin_names a2 ON a2.code = p.country || '.' || p.admin1_code || '.' || p.admin2_code;
ALTER TABLE lds.places ADD PRIMARY KEY (id);
CREATE INDEX ON lds.places USING gist (geom);
CREATE INDEX ON lds.places (country);
-- The nearest places of one country, walked in order of distance among that country's alone: with the plain geometry
-- index, a point in Monaco walked outward through every French place (the whole table, when a country has fewer places
-- than were asked for) before it had Monaco's.
CREATE INDEX ON lds.places USING gist (country, geom);

-- A place's names, normalized and each once: a trigram index for the misspelt, a b-tree for the exact.
CREATE TABLE lds.place_names AS
SELECT DISTINCT ON (place_id, name_key) place_id, name_key, is_primary
FROM (SELECT place_id, lds.normalize(name) AS name_key, is_primary FROM staging_place_names) names
WHERE name_key <> ''
ORDER BY place_id, name_key, is_primary DESC;
CREATE INDEX ON lds.place_names USING gin (name_key public.gin_trgm_ops);
CREATE INDEX ON lds.place_names (name_key);

-- Natural Earth's admin-1 regions; the few invalid polygons made valid, so that a point is found in them.
CREATE TABLE lds.regions AS
SELECT row_number() OVER (ORDER BY code)::integer AS id, country, code, name, group_name, geom, ST_Area(geom) AS area
FROM (SELECT country, code, name, group_name,
          ST_Multi(CASE WHEN ST_IsValid(geom) THEN geom ELSE ST_CollectionExtract(ST_MakeValid(geom), 3) END)::geometry(MultiPolygon, 4326) AS geom
      FROM (SELECT country, code, name, group_name, ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326) AS geom FROM staging_regions) source) regions;
ALTER TABLE lds.regions ADD PRIMARY KEY (id);
CREATE INDEX ON lds.regions USING gist (geom);

-- The regions cut into pieces of at most 128 vertices: a point is tested against one small piece, not a whole
-- region of thousands of vertices (a point in Moscow: 1.8 ms against the whole region, 0.05 ms against its pieces).
CREATE TABLE lds.region_parts AS SELECT id AS region_id, ST_Subdivide(geom, 128) AS geom FROM lds.regions;
CREATE INDEX ON lds.region_parts USING gist (geom);

-- Whether a place lies in what an address's context names: its admin1 or admin2 by name (a misspelling tolerated), or a
-- short context (3 characters or fewer) as its admin1 code: "Springfield, IL".
CREATE FUNCTION lds.in_context(place lds.places, context text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT EXISTS (
        SELECT FROM unnest(context) part
        WHERE CASE WHEN length(part) <= 3 THEN part = lower(place.admin1_code)
              ELSE part IN (place.admin1_key, place.admin2_key)
                  OR public.similarity(part, place.admin1_key) >= 0.5 OR public.similarity(part, place.admin2_key) >= 0.5 END)
$$;

-- The names that match a wanted one, at a stage of growing tolerance: 1 the same normalized name; 2 a trigram
-- similarity of 0.45 or more; 3 of 0.3 or more; 4 one edit away, among the places of the given countries only (too
-- short a name for trigrams: "Lyin, France").
CREATE FUNCTION lds.matching_names(wanted text, stage integer, countries text[])
RETURNS TABLE (place_id bigint, similarity real, is_primary boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
#variable_conflict use_column
BEGIN
    IF stage = 1 THEN
        RETURN QUERY SELECT n.place_id, 1::real, n.is_primary FROM lds.place_names n WHERE n.name_key = wanted;
    ELSIF stage IN (2, 3) THEN
        -- Local to the caller's transaction, and restored when lds.geocode (which sets it) returns.
        PERFORM set_config('pg_trgm.similarity_threshold', CASE stage WHEN 2 THEN '0.45' ELSE '0.3' END, true);
        RETURN QUERY SELECT n.place_id, public.similarity(n.name_key, wanted), n.is_primary
            FROM lds.place_names n WHERE n.name_key OPERATOR(public.%) wanted;
    ELSE
        RETURN QUERY SELECT n.place_id, public.similarity(n.name_key, wanted), n.is_primary
            FROM lds.places p JOIN lds.place_names n ON n.place_id = p.id
            WHERE p.country = ANY(countries) AND public.levenshtein_less_equal(n.name_key, wanted, 1) <= 1;
    END IF;
END
$$;

-- A candidate of lds.geocode, and whether it lies where the address's context says (its region or its country).
CREATE TYPE lds.candidate AS (id bigint, name text, admin1 text, admin2 text, country_code text, country_name text,
    latitude double precision, longitude double precision, population integer, relevance double precision, match_type text,
    in_context boolean);

-- Geocodes a place-level address, "name[, region][, country]": the candidates, best first. Each is scored by how well
-- its name matches, its population, and whether it lies in the region and the country the address names; only in
-- country (ISO 3166-1 alpha-2) when given. The stages of lds.matching_names are tried in turn until one finds a place
-- where the address says (or, when it says nothing, any place); failing that, the first that found any. Nothing
-- matches: no row.
CREATE FUNCTION lds.geocode(address text, country text DEFAULT NULL, max_results integer DEFAULT 1)
RETURNS TABLE (id bigint, name text, admin1 text, admin2 text, country_code text, country_name text, latitude double precision,
    longitude double precision, population integer, relevance double precision, match_type text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET pg_trgm.similarity_threshold = 0.3
AS $$
#variable_conflict use_column
DECLARE
    parts text[] := regexp_split_to_array(address, ',');
    wanted text := lds.normalize(parts[1]);
    only_country text := upper(nullif(btrim(country), ''));
    context text[];
    context_countries text[];
    stage integer;
    found_now lds.candidate[];
    first_found lds.candidate[] := '{}';
BEGIN
    IF wanted IS NULL OR wanted = '' THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(part) FILTER (WHERE part <> ''), '{}') INTO context
        FROM (SELECT lds.normalize(part) AS part FROM unnest(parts[2:]) part) parts;
    SELECT coalesce(array_agg(DISTINCT c.country), '{}') INTO context_countries FROM lds.country_names c WHERE c.name_key = ANY(context);

    -- With no exact name, similar names: when the address says where, the less similar too (stage 3), since what it
    -- says ranks them; "Natere, Rajshahi" is Natore there, not Naters in Switzerland.
    stage := CASE WHEN EXISTS (SELECT FROM lds.place_names n WHERE n.name_key = wanted) THEN 1
                  WHEN cardinality(context) = 0 THEN 2 ELSE 3 END;
    LOOP
        found_now := ARRAY(
            SELECT ROW(p.id, p.name, p.admin1, p.admin2, p.country, p.country_name, p.latitude, p.longitude, p.population,
                round(((best.similarity + 0.15 * log(greatest(p.population, 1)) / 7
                    + CASE WHEN lds.in_context(p, context) THEN 0.35 ELSE 0 END
                    + CASE WHEN p.country = ANY(context_countries) THEN 0.25 ELSE 0 END) / 1.75)::numeric, 4)::double precision,
                CASE WHEN stage > 1 THEN 'fuzzy' WHEN best.is_primary THEN 'exact' ELSE 'alternate_name' END,
                p.country = ANY(context_countries) OR lds.in_context(p, context))::lds.candidate
            FROM (SELECT DISTINCT ON (m.place_id) m.place_id, m.similarity, m.is_primary
                  FROM lds.matching_names(wanted, stage, CASE WHEN only_country IS NULL THEN context_countries ELSE ARRAY[only_country] END) m
                  ORDER BY m.place_id, m.similarity DESC, m.is_primary DESC) best
            JOIN lds.places p ON p.id = best.place_id
            WHERE only_country IS NULL OR p.country = only_country);
        IF cardinality(found_now) > 0 THEN
            found_now := ARRAY(SELECT c FROM unnest(found_now) c ORDER BY c.relevance DESC, c.population DESC, c.id LIMIT max_results);
            EXIT WHEN cardinality(context) = 0 OR found_now[1].in_context;
            IF cardinality(first_found) = 0 THEN
                first_found := found_now;
            END IF;
        END IF;
        IF stage = 4 THEN
            found_now := first_found;
            EXIT;
        END IF;
        stage := CASE WHEN stage = 1 AND cardinality(context) > 0 THEN 3 ELSE stage + 1 END;
    END LOOP;
    RETURN QUERY SELECT c.id, c.name, c.admin1, c.admin2, c.country_code, c.country_name, c.latitude, c.longitude, c.population,
        c.relevance, c.match_type FROM unnest(found_now) c;
END
$$;

-- The place a point is at: the Natural Earth region that holds it, and the nearest populated place of that region's
-- country, a larger one preferred to a slightly nearer village, and a town to a section of a city (GeoNames' PPLX,
-- "Chicago Loop"). Away from any region and 50 km from any place: no row.
CREATE FUNCTION lds.reverse_geocode(lat double precision, lon double precision)
RETURNS TABLE (id bigint, name text, admin1 text, admin2 text, country_code text, country_name text, latitude double precision,
    longitude double precision, population integer, region text, region_code text, distance_m double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH point AS (SELECT ST_SetSRID(ST_MakePoint($2, $1), 4326) AS geom),
    region AS (
        SELECT r.country, r.code, r.name FROM point, lds.region_parts part JOIN lds.regions r ON r.id = part.region_id
        WHERE ST_Intersects(part.geom, point.geom)
        ORDER BY r.area LIMIT 1),
    -- In a region of a country, that country's nearest places; elsewhere (at sea, a region without a country code) any.
    -- Two branches, each gated by the region, so that each can walk its own index.
    nearby AS (
        SELECT p.*, ST_Distance(p.geom::geography, point.geom::geography) AS distance_m
        FROM point, LATERAL (
            (SELECT p.* FROM lds.places p
             WHERE p.country = (SELECT region.country FROM region WHERE region.country ~ '^[A-Z]{2}$')
             ORDER BY p.geom <-> point.geom LIMIT 30)
            UNION ALL
            (SELECT p.* FROM lds.places p
             WHERE NOT EXISTS (SELECT FROM region WHERE region.country ~ '^[A-Z]{2}$')
             ORDER BY p.geom <-> point.geom LIMIT 30)) p)
    SELECT n.id, n.name, n.admin1, n.admin2, n.country, n.country_name, n.latitude, n.longitude, n.population, region.name,
        region.code, round(n.distance_m::numeric, 1)::double precision
    FROM nearby n LEFT JOIN region ON true
    WHERE region.code IS NOT NULL OR n.distance_m < 50000
    ORDER BY n.distance_m * (1.5 - log(greatest(n.population, 1000)) / 14) * CASE WHEN n.feature_code = 'PPLX' THEN 10 ELSE 1 END
    LIMIT 1
$$;

-- For SQL jobs: the point of an address's best candidate, or null. UPDATE stores SET geom = lds_geocode(address).
CREATE OR REPLACE FUNCTION public.lds_geocode(address text, country text DEFAULT NULL) RETURNS geometry(Point, 4326)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT ST_SetSRID(ST_MakePoint(g.longitude, g.latitude), 4326) FROM lds.geocode($1, $2, 1) g $$;

-- Open data, which every organization's login may read and search.
GRANT USAGE ON SCHEMA lds TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA lds TO PUBLIC;

ANALYZE lds.places;
ANALYZE lds.place_names;
ANALYZE lds.regions;
ANALYZE lds.region_parts;
ANALYZE lds.country_names;
