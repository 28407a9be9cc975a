//! Authorization codes, stored by their hash, single use.

use server_kit::db::Db;
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::store::stored_scopes;

/// An issued authorization code, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CodeRecord {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl CodeRecord {
    pub(crate) fn scopes(&self) -> Result<ScopeSet, Internal> {
        stored_scopes(&self.scope)
    }
}

pub(crate) async fn insert_code(
    db: &Db,
    code_hash: &str,
    code: &CodeRecord,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO authorization_codes
         (code_hash, grant_id, client_id, user_id, redirect_uri, scope, code_challenge, nonce, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(code_hash)
    .bind(&code.grant_id)
    .bind(&code.client_id)
    .bind(&code.user_id)
    .bind(&code.redirect_uri)
    .bind(&code.scope)
    .bind(&code.code_challenge)
    .bind(&code.nonce)
    .bind(code.expires_at)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub(crate) async fn find_code(db: &Db, code_hash: &str) -> Result<Option<CodeRecord>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT grant_id, client_id, user_id, redirect_uri, scope, code_challenge, nonce,
                expires_at, used_at
         FROM authorization_codes WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(pool)
    .await)?)
}

/// Marks the code used. One statement, so of any number of concurrent redemptions exactly
/// one sees `true`.
pub(crate) async fn consume_code(db: &Db, code_hash: &str) -> Result<bool, Internal> {
    let changed = with_db!(db, pool => sqlx::query(
        "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
    )
    .bind(server_kit::unix_now())
    .bind(code_hash)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}
