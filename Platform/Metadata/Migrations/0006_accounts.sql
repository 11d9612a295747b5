-- People sign in with an e-mail address (kept lower-case, so one address is one account) and a password, of which
-- only ASP.NET Core Identity's PBKDF2 hash is kept. Failed sign-ins are counted in the row, so a lockout holds on
-- every replica of accounts-api.
ALTER TABLE users
    ADD COLUMN password_hash    text,
    ADD COLUMN failed_sign_ins  int NOT NULL DEFAULT 0,
    ADD COLUMN locked_until     timestamptz,
    ADD CONSTRAINT users_email_lower_case CHECK (email = lower(email));
CREATE INDEX users_organization ON users (organization_id);

-- What holds for the whole installation, one row. Sign-up is open only until the first one (which takes the default
-- organization), unless an admin of that organization opens it again.
CREATE TABLE installation_settings (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sign_up_open  boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO installation_settings DEFAULT VALUES;

-- A sign-in: it ends at expires_at, at sign-out, or when its user is removed. Its refresh token is kept as a SHA-256
-- hash and replaced at every refresh. The session's access tokens and its cookie token are api_tokens rows pointing
-- here, so ending a session (or removing a user) deletes every credential it gave out.
CREATE TABLE user_sessions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_token_hash  bytea NOT NULL UNIQUE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    refreshed_at        timestamptz,
    expires_at          timestamptz NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

ALTER TABLE api_tokens ADD COLUMN session_id uuid REFERENCES user_sessions (id) ON DELETE CASCADE;
CREATE INDEX api_tokens_session ON api_tokens (session_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- One-time links sent to an address: an invitation into an organization with a role, or a password reset. Only the
-- SHA-256 of the link's token is kept; a link is used once (used_at) and not after expires_at.
CREATE TABLE account_links (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind IN ('invitation', 'password_reset')),
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email            text NOT NULL CHECK (email = lower(email)),
    role             text CHECK (role IN ('admin', 'editor', 'viewer')),
    token_hash       bytea NOT NULL UNIQUE,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    CHECK ((kind = 'invitation') = (role IS NOT NULL))
);
CREATE INDEX account_links_organization ON account_links (organization_id, kind, created_at DESC);
