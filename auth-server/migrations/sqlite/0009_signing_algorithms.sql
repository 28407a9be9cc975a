-- A signing key per JWS algorithm (protocol/keys.rs): EdDSA as before, ES256 and RS256
-- beside it. `public_key` holds, by algorithm: the 32-byte Ed25519 key; the P-256 point,
-- SEC1 uncompressed (65 bytes); the RSA key, PKCS#1 DER. Every key before this migration
-- is Ed25519.
ALTER TABLE signing_keys ADD COLUMN alg TEXT NOT NULL DEFAULT 'EdDSA';

-- The algorithm of a client's ID tokens (OIDC Dynamic Client Registration §2
-- `id_token_signed_response_alg`); the clients configured before were the lab's own.
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'EdDSA';

-- The algorithm of a resource's access tokens, set on /resources; NULL: EdDSA.
ALTER TABLE resources ADD COLUMN access_token_alg TEXT;
