//! The periodic purge: nothing unauthenticated may grow the database without bound
//! (CWE-770), so every row with an end is deleted some time after it: sessions, pending
//! requests, codes, tokens, throttling counters, and grants nothing refers to any more.
//! Deletes go in batches, so a large backlog never holds the database for long.

use std::time::Duration;

use server_kit::db::Db;

use crate::error::Internal;
use crate::store;

/// Starts the purge: once now, then every `interval`, for as long as the runtime runs.
pub(crate) fn start(db: Db, interval: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        loop {
            ticks.tick().await;
            if let Err(error) = purge(&db).await {
                tracing::warn!(%error, "purge of expired rows failed; trying again next time");
            }
        }
    });
}

/// Deletes every dead row now, counting them by table.
async fn purge(db: &Db) -> Result<(), Internal> {
    for (table, purged) in store::purge_expired(db, server_kit::unix_now()).await? {
        if purged > 0 {
            server_kit::metrics::rows_purged(table, purged);
            tracing::info!(table, rows = purged, "purged expired rows");
        }
    }
    Ok(())
}
