-- Monthly quotas of lds-api's services that an installation admin set for single organizations through the API
-- (PUT /api/v3/lds/quotas/{organization}/{service}). They come before the configuration's (Lds:Organizations:<slug>,
-- Lds:MonthlyQuota); a row without a quota makes the organization unlimited whatever the configuration says.
CREATE TABLE lds_quotas (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service text NOT NULL CHECK (service IN ('geocoding', 'routing', 'isolines')),
    monthly_quota bigint CHECK (monthly_quota >= 0),
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, service)
);
