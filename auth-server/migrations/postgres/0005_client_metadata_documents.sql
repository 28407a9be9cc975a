-- Clients identified by the URL of their Client ID Metadata Document
-- (draft-ietf-oauth-client-id-metadata-document): the fetched document is kept as the
-- client's row (its `client_id` is the URL), and `document_expires_at` says until when the
-- copy is fresh (from the document's HTTP caching headers). NULL for every other client.
-- `protocol/client_document.rs` fetches, checks and refreshes it.
ALTER TABLE clients ADD COLUMN document_expires_at BIGINT;
