-- A map instantiation's source (a table or a query of an organization), kept so its TileJSON and tiles can be
-- served by id. The id is a hash of the organization and the definition: instantiating the same source again
-- finds the same row.
CREATE TABLE map_sources (
    id              text PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    connection      text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('table', 'query')),
    definition      jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- How many times a warehouse table changed, by its data-changed events: a map's `cache` value is built from the
-- versions of the tables it reads, so it changes when their data does.
CREATE TABLE table_versions (
    connection  text NOT NULL,
    schema_name text NOT NULL,
    table_name  text NOT NULL,
    version     bigint NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection, schema_name, table_name)
);
