-- What the security review asked of the store: the same changes as
-- migrations/sqlite/0003_hardening.sql, which explains each.
UPDATE clients SET redirect_uris = CASE WHEN redirect_uris = '' THEN '[]'
    ELSE to_json(string_to_array(redirect_uris, E'\n'))::text END;
UPDATE clients SET post_logout_redirect_uris = CASE WHEN post_logout_redirect_uris = '' THEN '[]'
    ELSE to_json(string_to_array(post_logout_redirect_uris, E'\n'))::text END;
ALTER TABLE clients ALTER COLUMN post_logout_redirect_uris SET DEFAULT '[]';

ALTER TABLE clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT '["authorization_code","refresh_token"]';
UPDATE clients SET grant_types = '["client_credentials"]' WHERE client_id = 'service-client';
UPDATE clients SET grant_types = '[]' WHERE client_id = 'resource-server';

ALTER TABLE clients ADD COLUMN self_registered BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE clients SET self_registered = TRUE
    WHERE client_id NOT IN ('demo-client', 'service-client', 'resource-server');
UPDATE clients SET allowed_scopes = TRIM(REPLACE(' ' || allowed_scopes || ' ', ' admin ', ' '))
    WHERE self_registered;

ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET email_verified = TRUE WHERE username IN ('alice', 'bob', 'carol');

CREATE TABLE rate_limits (
    key            TEXT PRIMARY KEY,
    window_ends    BIGINT NOT NULL,
    count          BIGINT NOT NULL
);
DROP TABLE login_failures;

CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE INDEX authorization_requests_expiry ON authorization_requests(expires_at);
CREATE INDEX authorization_codes_expiry ON authorization_codes(expires_at);
CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens(expires_at);
CREATE INDEX rate_limits_expiry ON rate_limits(window_ends);
CREATE INDEX authorization_codes_grant ON authorization_codes(grant_id);
