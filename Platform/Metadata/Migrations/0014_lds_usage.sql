-- What each organization used of lds-api's services in each calendar month (UTC), against its monthly quota. One row per
-- organization, service and month, which lds-api raises with one INSERT … ON CONFLICT DO UPDATE … WHERE that also checks
-- the quota: PostgreSQL locks the row, so concurrent calls are counted exactly and never together pass the quota.
CREATE TABLE lds_usage (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service text NOT NULL CHECK (service IN ('geocoding', 'routing', 'isolines')),
    month date NOT NULL CHECK (month = date_trunc('month', month)),
    used bigint NOT NULL CHECK (used >= 0),
    PRIMARY KEY (organization_id, service, month)
);
