//! Login throttling against password guessing (RFC 6749 §10.10 asks the server to make
//! guessing impractical; RFC 9700 §4.x likewise): after 5 failed logins for one username
//! within 15 minutes, further attempts wait until the oldest failure leaves the window.
//! A successful login clears the count.

use sqlx::SqlitePool;

use crate::error::Internal;

pub(crate) const MAX_FAILURES: i64 = 5;
pub(crate) const WINDOW_SECS: i64 = 15 * 60;

/// Seconds to wait before `username` may try again, if it is throttled now.
pub(crate) async fn retry_after(db: &SqlitePool, username: &str) -> Result<Option<i64>, Internal> {
    let now = server_kit::unix_now();
    let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE username = ? AND at > ?",
    )
    .bind(username)
    .bind(now - WINDOW_SECS)
    .fetch_one(db)
    .await?;
    Ok((count >= MAX_FAILURES)
        .then(|| oldest.map_or(WINDOW_SECS, |at| (at + WINDOW_SECS - now).max(1))))
}

pub(crate) async fn record_failure(
    db: &SqlitePool,
    username: &str,
    ip: &str,
) -> Result<(), Internal> {
    sqlx::query("INSERT INTO login_failures (username, ip, at) VALUES (?, ?, ?)")
        .bind(username)
        .bind(ip)
        .bind(server_kit::unix_now())
        .execute(db)
        .await?;
    Ok(())
}

pub(crate) async fn clear(db: &SqlitePool, username: &str) -> Result<(), Internal> {
    sqlx::query("DELETE FROM login_failures WHERE username = ?")
        .bind(username)
        .execute(db)
        .await?;
    Ok(())
}
