-- ASP.NET Core Data Protection's key ring (see Platform/Metadata/DataProtection): every service and replica reads the
-- same keys, so a secret one of them encrypted (a connection's password) the others decrypt.
CREATE TABLE data_protection_keys (
    friendly_name text PRIMARY KEY,
    xml           text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Connections to PostgreSQL/PostGIS databases an organization's users run themselves. The built-in warehouse
-- (carto_dw) is no row: every organization has it. The password is kept only as Data Protection's ciphertext.
-- A connection is its owner's (private) or the whole organization's to use (shared); a connection made with a token
-- that is no user's (the development token before the first sign-up) has no owner and is shared.
CREATE TABLE connections (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    name               text NOT NULL,
    provider           text NOT NULL CHECK (provider = 'postgres'),
    host               text NOT NULL,
    port               integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    database_name      text NOT NULL,
    username           text NOT NULL,
    protected_password text NOT NULL,
    ssl_mode           text NOT NULL,
    default_schema     text NOT NULL,
    privacy            text NOT NULL CHECK (privacy IN ('private', 'shared')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
