-- Search (workspace-api's GET /api/v3/search) over an organization's datasets (catalog_tables), saved maps and
-- connections: PostgreSQL full-text search, a GIN index per table.
--
-- The words are those of the `simple` configuration (no stemming, which mangles identifiers: `roads` must not become
-- `road` nor `parks` `park`) with accents removed first (`unaccent`, so "sao" finds "São Paulo" and "São" finds "sao"),
-- lower-cased. PostgreSQL's parser already splits `road_segments` and `new-york` into their words; camelCase names
-- (`RoadSegments`) are split too, beside the name as written.
--
-- Generated columns rather than triggers: the vector is a pure function of the row, so PostgreSQL keeps it exact on every
-- write path (CatalogStore's upserts and replacements, MapStore, ConnectionStore) with nothing to forget and no trigger
-- to maintain; the cost, a table rewrite now, is that of tables still small.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION carto_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION carto_search ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH unaccent, simple;

-- An identifier's words: as written and, when it has camelCase humps, split at them.
CREATE FUNCTION search_identifier_words(identifier text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN identifier || coalesce(' ' || nullif(regexp_replace(identifier, '([[:lower:][:digit:]])([[:upper:]])', '\1 \2', 'g'), identifier), '');

-- Weights: the name (A) above the description (B) above the column names (C); the schema (D), which every table of it
-- shares, least.
ALTER TABLE catalog_tables ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('carto_search', search_identifier_words(table_name)), 'A')
    || setweight(to_tsvector('carto_search', coalesce(description, '')), 'B')
    || setweight(to_tsvector('carto_search', search_identifier_words(jsonb_path_query_array(columns, '$[*].name')::text)), 'C')
    || setweight(to_tsvector('carto_search', search_identifier_words(schema_name)), 'D')
) STORED;
CREATE INDEX catalog_tables_search ON catalog_tables USING gin (search);

ALTER TABLE maps ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('carto_search', title), 'A') || setweight(to_tsvector('carto_search', coalesce(description, '')), 'B')
) STORED;
CREATE INDEX maps_search ON maps USING gin (search);

ALTER TABLE connections ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('carto_search', search_identifier_words(name)), 'A')
) STORED;
CREATE INDEX connections_search ON connections USING gin (search);
