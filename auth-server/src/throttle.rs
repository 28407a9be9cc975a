//! Login throttling against password guessing (RFC 6749 §10.10 asks the server to make
//! guessing impractical; RFC 9700 §4.x likewise): after 5 failed logins for one username
//! within 15 minutes, further attempts wait until the oldest failure leaves the window.
//! A successful login clears the count.

use server_kit::db::Db;
use server_kit::with_db;

use crate::error::Internal;

pub(crate) const MAX_FAILURES: i64 = 5;
pub(crate) const WINDOW_SECS: i64 = 15 * 60;

/// Seconds to wait before `username` may try again, if it is throttled now.
pub(crate) async fn retry_after(db: &Db, username: &str) -> Result<Option<i64>, Internal> {
    let now = server_kit::unix_now();
    let (count, oldest): (i64, Option<i64>) = with_db!(db, pool => sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE username = $1 AND at > $2",
    )
    .bind(username)
    .bind(now - WINDOW_SECS)
    .fetch_one(pool)
    .await)?;
    Ok((count >= MAX_FAILURES)
        .then(|| oldest.map_or(WINDOW_SECS, |at| (at + WINDOW_SECS - now).max(1))))
}

pub(crate) async fn record_failure(db: &Db, username: &str, ip: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(ip)
        .bind(server_kit::unix_now())
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub(crate) async fn clear(db: &Db, username: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}
