-- The resource server's own data on PostgreSQL: the same tables as migrations/sqlite.
-- Times are seconds since the Unix epoch.

CREATE TABLE notes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sub        TEXT NOT NULL,               -- the token's subject: notes belong to a user
    text       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notes_sub ON notes(sub);

CREATE TABLE users_seen (
    sub        TEXT PRIMARY KEY,
    first_seen BIGINT NOT NULL
);
