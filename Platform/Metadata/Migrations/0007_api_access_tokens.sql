-- CARTO's API access tokens (POST /api/v3/tokens): a user's token for a web app, limited to the sources it is granted
-- (`grants`: [{connection_name, source}], where source is a table, an exact query, `schema.*` or `*`), to the APIs it
-- may call (`allowed_apis`) and, when `referers` is not empty, to requests from those origins. Their user is the one who
-- made them: its role is theirs, and removing it removes them. A token without grants (a sign-in's, the development
-- token) is not limited this way.
ALTER TABLE api_tokens
    ADD COLUMN grants        jsonb CHECK (grants IS NULL OR jsonb_typeof(grants) = 'array'),
    ADD COLUMN allowed_apis  text[] NOT NULL DEFAULT '{}' CHECK (allowed_apis <@ ARRAY['sql', 'maps', 'imports', 'lds']),
    ADD COLUMN referers      text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT api_tokens_access_tokens_have_apis CHECK (grants IS NULL OR cardinality(allowed_apis) > 0);
