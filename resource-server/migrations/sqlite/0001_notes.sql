-- The resource server's own data: each user's notes, and who has called it.
-- Times are seconds since the Unix epoch.

CREATE TABLE notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    sub        TEXT NOT NULL,               -- the token's subject: notes belong to a user
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notes_sub ON notes(sub);

CREATE TABLE users_seen (
    sub        TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL
);
