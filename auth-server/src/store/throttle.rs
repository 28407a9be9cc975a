//! Throttling counters: one row per key (a hash), a fixed window each.

use server_kit::db::Db;
use server_kit::with_db;

use crate::error::Internal;

/// Counts one unit for `key`; returns the count and when the window ends. One statement:
/// the row lock of the upsert makes concurrent takes count one by one, on SQLite and
/// PostgreSQL alike. An expired window (`window_ends <= now`) starts again at 1, ending at
/// `window_ends`.
pub(crate) async fn take_unit(
    db: &Db,
    key: &str,
    window_ends: i64,
    now: i64,
) -> Result<(i64, i64), Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "INSERT INTO rate_limits (key, window_ends, count) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN rate_limits.window_ends <= $3 THEN 1 ELSE rate_limits.count + 1 END,
           window_ends = CASE WHEN rate_limits.window_ends <= $3 THEN $2 ELSE rate_limits.window_ends END
         RETURNING count, window_ends",
    )
    .bind(key)
    .bind(window_ends)
    .bind(now)
    .fetch_one(pool)
    .await)?)
}

/// Uncounts one unit of `key`.
pub(crate) async fn give_back_unit(db: &Db, key: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("UPDATE rate_limits SET count = count - 1 WHERE key = $1 AND count > 0")
        .bind(key)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Forgets the count of `key`.
pub(crate) async fn reset_units(db: &Db, key: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}
