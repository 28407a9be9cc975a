-- Remembered consent: the scopes a user approved for a client, so the next authorization
-- that asks for no more goes through without the consent page (and `prompt=none` can answer
-- with a code). Only for clients whose identity can be assured, RFC 8252 §8.6
-- (`routes/authorize.rs`). Withdrawing it on the clients page deletes the row and revokes
-- every grant the user gave the client.
CREATE TABLE consents (
    user_id        TEXT NOT NULL REFERENCES users(id),
    client_id      TEXT NOT NULL REFERENCES clients(client_id),
    scope          TEXT NOT NULL,             -- space-delimited, every scope approved so far
    granted_at     BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- `prompt=consent` (OIDC Core §3.1.2.1): this request asks the user even if consent is
-- remembered.
ALTER TABLE authorization_requests ADD COLUMN prompt_consent BOOLEAN NOT NULL DEFAULT FALSE;
