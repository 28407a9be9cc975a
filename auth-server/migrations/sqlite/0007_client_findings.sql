-- The server grades its clients (`protocol/findings.rs`): per client, each thing it did that
-- OAuth 2.1 or the MCP authorization rules advise against, how often, when first and last,
-- and the last value that showed it. One row per (client, finding): a client that keeps
-- doing it raises the count, never the row count. Deleted with the client.
CREATE TABLE client_findings (
    client_id      TEXT NOT NULL REFERENCES clients(client_id),
    finding        TEXT NOT NULL,             -- protocol::findings::Finding::name
    count          INTEGER NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    detail         TEXT NOT NULL,             -- at most 200 characters; may be empty
    PRIMARY KEY (client_id, finding)
);
