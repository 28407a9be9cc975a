-- `prompt=login`, `prompt=select_account` or a `max_age` the current login is older than
-- (OIDC Core §3.1.2.1): this request may go on to consent only after the user logged in
-- again. A login moves the browser's pending requests to its new session and clears the
-- flag (store/pending.rs, `move_requests`); consent refuses a request that still has it.
ALTER TABLE authorization_requests ADD COLUMN login_required BOOLEAN NOT NULL DEFAULT FALSE;

-- Browsers a user has logged in with (routes/login.rs): the SHA-256 of a random token kept
-- in a long-lived cookie. A known browser's failed logins count against that browser, not
-- against the address it shares with everyone else on the machine, so nobody can lock a
-- user out of a browser they have used before by failing logins in the user's name.
CREATE TABLE known_browsers (
    token_hash     TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    expires_at     BIGINT NOT NULL
);

-- The revoked access tokens still unexpired: what `POST /revocations` lists for the resource
-- servers, which validate JWTs locally and learn of revocations from it
-- (routes/revocation.rs). Only revoked rows are indexed.
CREATE INDEX access_tokens_revoked ON access_tokens (expires_at) WHERE revoked_at IS NOT NULL;
