-- The authorization server's store on PostgreSQL: the same tables as migrations/sqlite,
-- in PostgreSQL's types (BIGINT times, BOOLEAN, BYTEA).
-- Codes, session ids and refresh tokens are kept only as
-- SHA-256 hashes (hex): a leaked database file does not hand out usable credentials.
-- Times are seconds since the Unix epoch.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,             -- bcrypt, cost 12
    allowed_scopes TEXT NOT NULL,             -- the scopes this user may grant, space-delimited
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE clients (
    client_id      TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    secret_hash    TEXT,                      -- SHA-256 of the secret; NULL for a public client
    redirect_uris  TEXT NOT NULL,             -- one per line, compared as exact strings
    allowed_scopes TEXT NOT NULL,
    can_introspect BOOLEAN NOT NULL DEFAULT FALSE, -- may call /introspect (a resource server)
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '', -- one per line, exact strings
    owner_user_id  TEXT REFERENCES users(id), -- who registered it on the clients page
    created_at     BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    private_pkcs8  BYTEA NOT NULL,             -- Ed25519 private key, PKCS#8 DER
    public_key     BYTEA NOT NULL,             -- the 32-byte Ed25519 public key
    created_at     BIGINT NOT NULL
);

-- A browser session: anonymous until the user logs in.
CREATE TABLE sessions (
    id_hash        TEXT PRIMARY KEY,
    csrf_token     TEXT NOT NULL,
    user_id        TEXT REFERENCES users(id),
    auth_time      BIGINT,
    expires_at     BIGINT NOT NULL
);

-- An authorization request that passed every check, waiting for login and consent.
CREATE TABLE authorization_requests (
    id             TEXT PRIMARY KEY,
    session_hash   TEXT NOT NULL,             -- only the browser that made it may finish it
    client_id      TEXT NOT NULL REFERENCES clients(client_id),
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    state          TEXT,
    code_challenge TEXT NOT NULL,
    nonce          TEXT,
    resource       TEXT NOT NULL,
    expires_at     BIGINT NOT NULL
);

-- A grant: one user's consent to one client, from which codes and tokens are issued. Revoking
-- the grant revokes everything issued from it (a replayed code, a replayed refresh token).
CREATE TABLE grants (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(client_id),
    user_id        TEXT REFERENCES users(id),
    scope          TEXT NOT NULL,
    resource       TEXT NOT NULL,             -- the audience of its access tokens
    auth_time      BIGINT,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);

CREATE TABLE authorization_codes (
    code_hash      TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL REFERENCES grants(id),
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce          TEXT,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT                    -- set once, atomically: single use
);

CREATE TABLE access_tokens (
    jti            TEXT PRIMARY KEY,
    grant_id       TEXT REFERENCES grants(id),
    client_id      TEXT NOT NULL,
    sub            TEXT NOT NULL,
    scope          TEXT NOT NULL,
    audience       TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash     TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL REFERENCES grants(id),
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    scope          TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    rotated_at     BIGINT,
    revoked_at     BIGINT
);

CREATE INDEX access_tokens_grant ON access_tokens(grant_id);
CREATE INDEX refresh_tokens_grant ON refresh_tokens(grant_id);

-- Failed logins per username, for throttling (the password is never stored).
CREATE TABLE login_failures (
    username       TEXT NOT NULL,
    ip             TEXT NOT NULL,
    at             BIGINT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures(username, at);
