-- What the security review asked of the store (docs/attacks.md, README "Security"):
--
-- 1. Lists are JSON arrays, never newline-joined text: a newline smuggled into one redirect
--    URI can no longer become a second registered URI.
UPDATE clients SET redirect_uris = CASE WHEN redirect_uris = '' THEN '[]' ELSE
    '["' || REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(redirect_uris,
        '\', '\\'), '"', '\"'), char(9), '\t'), char(13), '\r'), char(10), '","') || '"]' END;
UPDATE clients SET post_logout_redirect_uris = CASE WHEN post_logout_redirect_uris = '' THEN '[]' ELSE
    '["' || REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(post_logout_redirect_uris,
        '\', '\\'), '"', '\"'), char(9), '\t'), char(13), '\r'), char(10), '","') || '"]' END;

-- 2. The grant types a client was registered for (RFC 7591 §2), as a JSON array; a grant
--    not in it is refused with unauthorized_client. The seeded service client alone may use
--    client_credentials; the introspecting resource server uses no grant.
ALTER TABLE clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT '["authorization_code","refresh_token"]';
UPDATE clients SET grant_types = '["client_credentials"]' WHERE client_id = 'service-client';
UPDATE clients SET grant_types = '[]' WHERE client_id = 'resource-server';

-- 3. Who registered the client: the operator (seeded, configured) or anyone (dynamic
--    registration, the clients pages). Self-registered clients are marked "unverified" on
--    the login and consent pages, get no automatic error redirects, and never get `admin`.
ALTER TABLE clients ADD COLUMN self_registered INTEGER NOT NULL DEFAULT 0;
UPDATE clients SET self_registered = 1
    WHERE client_id NOT IN ('demo-client', 'service-client', 'resource-server');
UPDATE clients SET allowed_scopes = TRIM(REPLACE(' ' || allowed_scopes || ' ', ' admin ', ' '))
    WHERE self_registered = 1;

-- 4. OIDC Core §5.1: email_verified is true only when the address was verified. Only the
--    seeded demo accounts' addresses are taken as verified.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
UPDATE users SET email_verified = 1 WHERE username IN ('alice', 'bob', 'carol');

-- 5. Fixed-window counters for throttling (failed logins per username and address, per
--    address; sign-ups and registrations per address). One row per key, incremented
--    atomically before the work it limits, so parallel requests cannot all pass the check.
--    The key is a SHA-256: no username or address is stored in the clear.
CREATE TABLE rate_limits (
    key            TEXT PRIMARY KEY,
    window_ends    INTEGER NOT NULL,
    count          INTEGER NOT NULL
);
DROP TABLE login_failures;

-- 6. The periodic purge deletes expired rows by these.
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE INDEX authorization_requests_expiry ON authorization_requests(expires_at);
CREATE INDEX authorization_codes_expiry ON authorization_codes(expires_at);
CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens(expires_at);
CREATE INDEX rate_limits_expiry ON rate_limits(window_ends);
CREATE INDEX authorization_codes_grant ON authorization_codes(grant_id);
