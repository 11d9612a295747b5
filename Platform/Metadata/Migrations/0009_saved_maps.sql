-- Saved maps (workspace-api's Maps API): the document CARTO's fetchMap reads (`datasets` and `keplerMapConfig`, kept as
-- the client sent them), owned by a user of an organization, readable by its owner (private), by every user of the
-- organization (organization) or by anyone with the link (public).
CREATE TABLE maps (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title              text NOT NULL,
    description        text,
    privacy            text NOT NULL DEFAULT 'private' CHECK (privacy IN ('private', 'organization', 'public')),
    datasets           jsonb NOT NULL CHECK (jsonb_typeof(datasets) = 'array'),
    kepler_map_config  jsonb NOT NULL CHECK (jsonb_typeof(kepler_map_config) = 'object'),
    -- A public map's API access token (its api_tokens row has map_id = id), encrypted with ASP.NET Core Data
    -- Protection: fetchMap needs its value on every read, and api_tokens keeps only a hash.
    public_token       text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((privacy = 'public') = (public_token IS NOT NULL))
);
CREATE INDEX maps_organization_updated ON maps (organization_id, updated_at DESC, id);
CREATE INDEX maps_owner ON maps (owner_id);

-- The token a public map was published with: the map's, not its owner's to change with the Tokens API. Unpublishing,
-- deleting the map or changing its datasets revokes it (revoked_at), so the row stays as a record of what was public.
ALTER TABLE api_tokens ADD COLUMN map_id uuid REFERENCES maps (id) ON DELETE SET NULL;
CREATE INDEX api_tokens_map ON api_tokens (map_id) WHERE map_id IS NOT NULL;
