//! Signing keys (Ed25519), private and public halves, and when each starts signing.

use server_kit::db::{Db, Sqlite};
use server_kit::with_db;

use crate::error::Internal;

/// A key's row: id, private key (PKCS#8 DER), public key.
pub(crate) type KeyRow = (String, Vec<u8>, Vec<u8>);

/// The key that signs at `now`.
pub(crate) async fn signing_key_at(db: &Db, now: i64) -> Result<Option<KeyRow>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT kid, private_pkcs8, public_key FROM signing_keys WHERE signs_from <= $1
         ORDER BY signs_from DESC, created_at DESC LIMIT 1",
    )
    .bind(now)
    .fetch_optional(pool)
    .await)?)
}

/// Stores a new key, signing from `signs_from` on.
pub(crate) async fn insert_key(
    db: &Db,
    kid: &str,
    private_pkcs8: &[u8],
    public: &[u8],
    signs_from: i64,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO signing_keys (kid, private_pkcs8, public_key, created_at, signs_from) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(kid)
    .bind(private_pkcs8)
    .bind(public)
    .bind(server_kit::unix_now())
    .bind(signs_from)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

const PUBLIC_KEYS: &str = "SELECT kid, public_key, signs_from FROM signing_keys ORDER BY signs_from DESC, created_at DESC";

/// Every key's id, public key and `signs_from`, newest first. Read on every introspection
/// and UserInfo request (a token verifies only against a key published now): on SQLite by
/// the owner thread.
pub(crate) async fn public_keys(db: &Db) -> Result<Vec<(String, Vec<u8>, i64)>, Internal> {
    match db {
        Db::Sqlite(Sqlite { owner, .. }) => Ok(owner
            .unit(|c| {
                c.prepare_cached(PUBLIC_KEYS)?
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                    .collect()
            })
            .await?),
        Db::Postgres(pool) => Ok(sqlx::query_as(PUBLIC_KEYS).fetch_all(pool).await?),
    }
}
