-- OpenID Connect Dynamic Client Registration §2: `application_type`, `web` (the default) or
-- `native`, stored and echoed; a native client registers only loopback http redirect URIs
-- (`protocol/client_metadata.rs`).
ALTER TABLE clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web';
