-- The dataset catalog: the tables and views of each organization's connections (carto_dw and users' own), as the
-- workspace's data explorer and search read them. workspace-subscriber keeps a table's row current on its
-- data-changed events; a whole connection is read again on demand. A connection is in catalog_connections once it
-- has been read whole, so a listing never answers from a catalog that was never made.
CREATE TABLE catalog_connections (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    connection      text NOT NULL,
    refreshed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, connection)
);

CREATE TABLE catalog_tables (
    organization_id     uuid NOT NULL,
    connection          text NOT NULL,
    schema_name         text NOT NULL,
    table_name          text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('table', 'view', 'materialized_view', 'foreign_table')),
    columns             jsonb NOT NULL,
    geometry_column     text,
    geometry_type       text,
    srid                integer,
    row_count           bigint,
    row_count_estimated boolean NOT NULL,
    size_bytes          bigint,
    bounds              double precision[],
    description         text,
    changed_at          timestamptz,
    refreshed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, connection, schema_name, table_name),
    FOREIGN KEY (organization_id, connection) REFERENCES catalog_connections (organization_id, connection) ON DELETE CASCADE
);
