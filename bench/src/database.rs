//! What the benchmark reads and writes in the authorization server's database directly.

use server_kit::db::Db;
use server_kit::with_db;

/// How many access-token rows the server has stored.
pub async fn access_token_rows(database: &str) -> Result<i64, Box<dyn std::error::Error>> {
    let db = Db::connect(database).await?;
    Ok(
        with_db!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM access_tokens")
        .fetch_one(pool)
        .await)?,
    )
}

/// Adds `count` expired access-token rows (as a long-running server accumulates).
pub async fn seed_rows(database: &str, count: i64) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::connect(database).await?;
    with_db!(&db, pool => sqlx::query(
        "INSERT INTO access_tokens (jti, grant_id, client_id, sub, scope, audience, expires_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         SELECT 'seeded-' || i, NULL, 'service-client', 'service-client', 'read', 'seeded', 0 FROM n",
    )
    .bind(count)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}
