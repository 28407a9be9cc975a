-- Protected resources beyond those of the flags and --resources-file
-- (`protocol/resources.rs`): added by an operator on /resources, or seen on this machine
-- (--any-loopback-resource records each one a client names, so the page shows it; one row
-- per resource, and those not named for 30 days are purged).
CREATE TABLE resources (
    identifier       TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    scopes           TEXT,                    -- space-separated; NULL: any scope the server knows
    access_token_ttl INTEGER,                  -- seconds; NULL: --access-token-ttl
    source           TEXT NOT NULL,           -- 'operator' or 'seen'
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL
);
