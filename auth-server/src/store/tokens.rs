//! Access tokens (by `jti`) and refresh tokens (by their hash), as issued.

use server_kit::db::Db;
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::store::stored_scopes;

/// An issued access token, recorded by its `jti` so it can be revoked and introspected.
#[derive(Debug)]
pub(crate) struct AccessTokenRecord<'a> {
    pub jti: &'a str,
    pub grant_id: Option<&'a str>,
    pub client_id: &'a str,
    pub sub: &'a str,
    pub scope: &'a ScopeSet,
    pub audience: &'a str,
    pub expires_at: i64,
}

pub(crate) async fn insert_access_token(
    db: &Db,
    token: &AccessTokenRecord<'_>,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO access_tokens (jti, grant_id, client_id, sub, scope, audience, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.jti)
    .bind(token.grant_id)
    .bind(token.client_id)
    .bind(token.sub)
    .bind(token.scope.to_string())
    .bind(token.audience)
    .bind(token.expires_at)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// An issued refresh token, stored by its hash.
#[derive(Debug)]
pub(crate) struct RefreshTokenRecord<'a> {
    pub token_hash: &'a str,
    pub grant_id: &'a str,
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub scope: &'a ScopeSet,
    pub expires_at: i64,
}

pub(crate) async fn insert_refresh_token(
    db: &Db,
    token: &RefreshTokenRecord<'_>,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.token_hash)
    .bind(token.grant_id)
    .bind(token.client_id)
    .bind(token.user_id)
    .bind(token.scope.to_string())
    .bind(token.expires_at)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A stored refresh token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RefreshTokenRow {
    pub grant_id: String,
    pub client_id: String,
    pub scope: String,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl RefreshTokenRow {
    pub(crate) fn scopes(&self) -> Result<ScopeSet, Internal> {
        stored_scopes(&self.scope)
    }
}

pub(crate) async fn find_refresh_token(
    db: &Db,
    token_hash: &str,
) -> Result<Option<RefreshTokenRow>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT grant_id, client_id, scope, expires_at, rotated_at, revoked_at
         FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await)?)
}

/// Marks a refresh token used. One statement, so of concurrent refreshes with the same
/// token exactly one sees `true`.
pub(crate) async fn rotate_refresh_token(db: &Db, token_hash: &str) -> Result<bool, Internal> {
    let changed = with_db!(db, pool => sqlx::query(
        "UPDATE refresh_tokens SET rotated_at = $1
         WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL",
    )
    .bind(server_kit::unix_now())
    .bind(token_hash)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

/// What the server knows about an access token it issued.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AccessTokenRow {
    pub client_id: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub grant_revoked_at: Option<i64>,
}

impl AccessTokenRow {
    /// Neither revoked (itself or its grant) nor past the expiry stored when it was issued.
    pub(crate) fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.grant_revoked_at.is_none() && self.expires_at > now
    }
}

pub(crate) async fn find_access_token(
    db: &Db,
    jti: &str,
) -> Result<Option<AccessTokenRow>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT a.client_id, a.expires_at, a.revoked_at, g.revoked_at AS grant_revoked_at
         FROM access_tokens a LEFT JOIN grants g ON g.id = a.grant_id WHERE a.jti = $1",
    )
    .bind(jti)
    .fetch_optional(pool)
    .await)?)
}

pub(crate) async fn revoke_access_token(db: &Db, jti: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL")
        .bind(server_kit::unix_now())
        .bind(jti)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}
