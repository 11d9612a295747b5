-- The gazetteer's schema, made again whole (in the loader's transaction) when its data or this SQL changes.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch SCHEMA public;
-- A country's code beside the geometry in one GiST index: the nearest places of one country (reverse geocoding).
CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;

-- Making it again drops the old one, and with it whatever depends on it: refused while an organization's view reads
-- it, so that an upgrade never takes anyone's view away (the old gazetteer stays, and the loader says which views).
DO $$
DECLARE
    dependents text;
BEGIN
    SELECT string_agg(DISTINCT view.oid::regclass::text, ', ') INTO dependents
    FROM pg_depend dependency
    JOIN pg_rewrite rule ON rule.oid = dependency.objid
    JOIN pg_class view ON view.oid = rule.ev_class
    JOIN pg_class gazetteer ON gazetteer.oid = dependency.refobjid
    WHERE gazetteer.relnamespace = to_regnamespace('lds') AND view.relnamespace <> gazetteer.relnamespace;
    IF dependents IS NOT NULL THEN
        RAISE EXCEPTION 'These views read the gazetteer, which cannot be made again while they do: %', dependents;
    END IF;
END
$$;
DROP SCHEMA IF EXISTS lds CASCADE;
CREATE SCHEMA lds;

-- What a name is compared as: lower case, accents and punctuation gone, words one space apart. IMMUTABLE (unaccent
-- itself is only STABLE, its dictionary could change) so that it can be stored and indexed.
CREATE FUNCTION lds.normalize(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, value)), '[^[:alnum:]]+', ' ', 'g')) $$;

CREATE TABLE lds.gazetteer (
    version text NOT NULL,
    attribution text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- What the loader copies the npm packages' files into, as they are; 2_gazetteer.sql makes the gazetteer from them.
CREATE TEMP TABLE staging_countries (code text, code3 text, name text, official_name text) ON COMMIT DROP;
CREATE TEMP TABLE staging_country_names (country text, name text) ON COMMIT DROP;
CREATE TEMP TABLE staging_admin_names (code text, name text) ON COMMIT DROP;
CREATE TEMP TABLE staging_places (id bigint, name text, country text, admin1_code text, admin2_code text, feature_code text,
    population integer, longitude double precision, latitude double precision) ON COMMIT DROP;
CREATE TEMP TABLE staging_place_names (place_id bigint, name text, is_primary boolean) ON COMMIT DROP;
CREATE TEMP TABLE staging_regions (country text, code text, name text, group_name text, geojson text) ON COMMIT DROP;
