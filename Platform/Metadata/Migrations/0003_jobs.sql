-- What a job was asked to do and what it produced, and what a worker needs to cancel or recover it.
ALTER TABLE jobs
    ADD COLUMN connection           text,
    ADD COLUMN request              jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN result               jsonb,
    ADD COLUMN error_details        jsonb,
    ADD COLUMN attempts             int NOT NULL DEFAULT 0,
    ADD COLUMN cancel_requested_at  timestamptz,
    -- The warehouse transaction of the running attempt: a worker that takes over after a crash asks PostgreSQL
    -- whether it committed (txid_status), and stops its backend if it still runs.
    ADD COLUMN warehouse_xid        bigint,
    ADD COLUMN warehouse_pid        int;
