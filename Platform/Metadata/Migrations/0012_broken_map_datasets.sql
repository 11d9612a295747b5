-- A saved map's dataset whose table was dropped, with why: workspace-subscriber marks it on the table's data-changed
-- event and clears the mark when a table of that name is made again. The map document itself stays as its owner saved it.
CREATE TABLE map_broken_datasets (
    map_id     uuid NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    dataset_id text NOT NULL,
    reason     text NOT NULL,
    since      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (map_id, dataset_id)
);
