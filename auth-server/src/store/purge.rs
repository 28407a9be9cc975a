//! Deleting expired rows, in batches (`purge.rs` runs it periodically).

use server_kit::db::Db;
use server_kit::with_db;

use crate::error::Internal;

/// Rows deleted per statement.
const BATCH: i64 = 500;

/// What is purged: table, primary key, and the condition (`$1` is now) that marks a dead row.
const RULES: [(&str, &str, &str); 9] = [
    ("authorization_codes", "code_hash", "expires_at < $1"),
    ("access_tokens", "jti", "expires_at < $1"),
    ("refresh_tokens", "token_hash", "expires_at < $1"),
    // A grant goes once no code or token refers to it, an hour after it was made (a grant
    // is written a moment before its code, so a young grant without one is not dead).
    (
        "grants",
        "id",
        "created_at < $1 - 3600
         AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.grant_id = grants.id)
         AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = grants.id)
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = grants.id)",
    ),
    ("sessions", "id_hash", "expires_at < $1"),
    ("authorization_requests", "id", "expires_at < $1"),
    ("rate_limits", "key", "window_ends < $1"),
    ("known_browsers", "token_hash", "expires_at < $1"),
    // A resource seen on this machine and not named for 30 days (an MCP server on a port
    // long closed); an operator's stays.
    (
        "resources",
        "identifier",
        "source = 'seen' AND last_seen < $1 - 2592000",
    ),
];

/// Deletes every row of every table that is dead at `now`; returns how many per table.
pub(crate) async fn purge_expired(db: &Db, now: i64) -> Result<Vec<(&'static str, u64)>, Internal> {
    let mut counts = Vec::new();
    for (table, key, dead) in RULES {
        let statement = format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {dead} LIMIT {BATCH})"
        );
        let mut purged = 0;
        loop {
            let deleted = with_db!(db, pool => sqlx::query(&statement)
                .bind(now)
                .execute(pool)
                .await.map(|done| done.rows_affected()))?;
            purged += deleted;
            if deleted < BATCH.unsigned_abs() {
                break;
            }
        }
        counts.push((table, purged));
    }
    Ok(counts)
}
