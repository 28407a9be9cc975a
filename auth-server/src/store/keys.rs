//! Signing keys, one algorithm each: private and public halves, and when each starts
//! signing (the formats: migration 0009).

use server_kit::db::{Db, Sqlite};
use server_kit::with_db;
use shared::jwt::SigningAlg;

use crate::error::Internal;

/// A key that signs: id, algorithm, private key (PKCS#8 DER).
#[derive(Debug)]
pub(crate) struct KeyRow {
    pub kid: String,
    pub alg: SigningAlg,
    pub private: Vec<u8>,
}

/// A key to publish.
#[derive(Debug)]
pub(crate) struct PublicKeyRow {
    pub kid: String,
    pub alg: SigningAlg,
    pub public: Vec<u8>,
    pub signs_from: i64,
}

fn stored_alg(alg: &str) -> Result<SigningAlg, Internal> {
    SigningAlg::parse(alg).ok_or_else(|| Internal::new(format!("stored key algorithm {alg:?}")))
}

/// The newest key of each algorithm that signs at `now`.
pub(crate) async fn signing_keys_at(db: &Db, now: i64) -> Result<Vec<KeyRow>, Internal> {
    let rows: Vec<(String, String, Vec<u8>)> = with_db!(db, pool => sqlx::query_as(
        "SELECT kid, alg, private_pkcs8 FROM signing_keys WHERE signs_from <= $1
         ORDER BY signs_from DESC, created_at DESC",
    )
    .bind(now)
    .fetch_all(pool)
    .await)?;
    let mut newest: Vec<KeyRow> = Vec::new();
    for (kid, alg, private) in rows {
        let alg = stored_alg(&alg)?;
        if newest.iter().all(|row| row.alg != alg) {
            newest.push(KeyRow { kid, alg, private });
        }
    }
    Ok(newest)
}

/// Stores a new key, signing from `signs_from` on.
pub(crate) async fn insert_key(
    db: &Db,
    kid: &str,
    alg: SigningAlg,
    private_pkcs8: &[u8],
    public: &[u8],
    signs_from: i64,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO signing_keys (kid, alg, private_pkcs8, public_key, created_at, signs_from) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(kid)
    .bind(alg.as_str())
    .bind(private_pkcs8)
    .bind(public)
    .bind(server_kit::unix_now())
    .bind(signs_from)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

const PUBLIC_KEYS: &str = "SELECT kid, alg, public_key, signs_from FROM signing_keys ORDER BY signs_from DESC, created_at DESC";

/// Every key's id, algorithm, public key and `signs_from`, newest first. Read on every
/// introspection and UserInfo request (a token verifies only against a key published now):
/// on SQLite by the owner thread.
pub(crate) async fn public_keys(db: &Db) -> Result<Vec<PublicKeyRow>, Internal> {
    let rows: Vec<(String, String, Vec<u8>, i64)> = match db {
        Db::Sqlite(Sqlite { owner, .. }) => {
            owner
                .unit(|c| {
                    c.prepare_cached(PUBLIC_KEYS)?
                        .query_map([], |row| {
                            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                        })?
                        .collect()
                })
                .await?
        }
        Db::Postgres(pool) => sqlx::query_as(PUBLIC_KEYS).fetch_all(pool).await?,
    };
    rows.into_iter()
        .map(|(kid, alg, public, signs_from)| {
            Ok(PublicKeyRow {
                kid,
                alg: stored_alg(&alg)?,
                public,
                signs_from,
            })
        })
        .collect()
}
