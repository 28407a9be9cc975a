//! Access tokens (by `jti`) and refresh tokens (by their hash), as issued.

use server_kit::db::rusqlite::params;
use server_kit::db::{Db, Sqlite};
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::store::stored::stored_scopes;

/// An issued access token, recorded by its `jti` so it can be revoked and introspected.
#[derive(Debug)]
pub(crate) struct AccessTokenRecord {
    pub jti: String,
    pub grant_id: Option<String>,
    pub client_id: String,
    pub sub: String,
    pub scope: String,
    pub audience: String,
    pub expires_at: i64,
}

/// An issued refresh token, stored by its hash.
#[derive(Debug)]
pub(crate) struct RefreshTokenRecord {
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub expires_at: i64,
}

/// The rows of one token response: written together, or not at all.
#[derive(Debug)]
pub(crate) struct NewTokens {
    pub access: AccessTokenRecord,
    pub refresh: Option<RefreshTokenRecord>,
}

/// What the write of a token response spends, in the same transaction: an authorization
/// code (single use, RFC 6749 §4.1.2) or a refresh token (rotated on use, OAuth 2.1
/// §4.3.1), identified by its hash. If it is already spent, nothing is written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Spending<'a> {
    Nothing,
    Code(&'a str),
    RefreshToken(&'a str),
}

impl Spending<'_> {
    /// The statement that marks it spent, and its key: it changes one row, or none when
    /// the code or token was spent before (by a concurrent request too: the statement is
    /// atomic, so of any number of them exactly one changes the row).
    fn statement(self) -> Option<(&'static str, String)> {
        match self {
            Self::Nothing => None,
            Self::Code(hash) => Some((
                "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
                hash.to_owned(),
            )),
            Self::RefreshToken(hash) => Some((
                "UPDATE refresh_tokens SET rotated_at = $1
                 WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL",
                hash.to_owned(),
            )),
        }
    }
}

const INSERT_ACCESS: &str =
    "INSERT INTO access_tokens (jti, grant_id, client_id, sub, scope, audience, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const INSERT_REFRESH: &str =
    "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Spends `spending` and writes `tokens`, in one transaction. `false`: it was already
/// spent, and nothing was written.
pub(crate) async fn write_tokens(
    db: &Db,
    spending: Spending<'_>,
    tokens: NewTokens,
) -> Result<bool, Internal> {
    let spend = spending.statement();
    let now = server_kit::unix_now();
    match db {
        Db::Sqlite(Sqlite { owner, .. }) => Ok(owner
            .unit(move |c| {
                if let Some((statement, key)) = &spend
                    && c.prepare_cached(statement)?.execute(params![now, key])? != 1
                {
                    return Ok(false);
                }
                let a = &tokens.access;
                c.prepare_cached(INSERT_ACCESS)?.execute(params![
                    a.jti,
                    a.grant_id,
                    a.client_id,
                    a.sub,
                    a.scope,
                    a.audience,
                    a.expires_at
                ])?;
                if let Some(r) = &tokens.refresh {
                    c.prepare_cached(INSERT_REFRESH)?.execute(params![
                        r.token_hash,
                        r.grant_id,
                        r.client_id,
                        r.user_id,
                        r.scope,
                        r.expires_at
                    ])?;
                }
                Ok(true)
            })
            .await?),
        // One statement needs no transaction (a client-credentials token: one round trip).
        Db::Postgres(pool) if spend.is_none() && tokens.refresh.is_none() => {
            insert_access(pool, &tokens.access).await?;
            Ok(true)
        }
        Db::Postgres(pool) => {
            let mut transaction = pool.begin().await?;
            if let Some((statement, key)) = &spend {
                let changed = sqlx::query(statement)
                    .bind(now)
                    .bind(key)
                    .execute(&mut *transaction)
                    .await?;
                if changed.rows_affected() != 1 {
                    return Ok(false);
                }
            }
            insert_access(&mut *transaction, &tokens.access).await?;
            if let Some(r) = &tokens.refresh {
                sqlx::query(INSERT_REFRESH)
                    .bind(&r.token_hash)
                    .bind(&r.grant_id)
                    .bind(&r.client_id)
                    .bind(&r.user_id)
                    .bind(&r.scope)
                    .bind(r.expires_at)
                    .execute(&mut *transaction)
                    .await?;
            }
            transaction.commit().await?;
            Ok(true)
        }
    }
}

async fn insert_access<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    a: &AccessTokenRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_ACCESS)
        .bind(&a.jti)
        .bind(&a.grant_id)
        .bind(&a.client_id)
        .bind(&a.sub)
        .bind(&a.scope)
        .bind(&a.audience)
        .bind(a.expires_at)
        .execute(executor)
        .await?;
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

const FIND_ACCESS: &str =
    "SELECT a.client_id, a.expires_at, a.revoked_at, g.revoked_at AS grant_revoked_at
     FROM access_tokens a LEFT JOIN grants g ON g.id = a.grant_id WHERE a.jti = $1";

/// Read on every introspection and UserInfo request: on SQLite by the owner thread.
pub(crate) async fn find_access_token(
    db: &Db,
    jti: &str,
) -> Result<Option<AccessTokenRow>, Internal> {
    match db {
        Db::Sqlite(Sqlite { owner, .. }) => Ok(owner
            .optional_row(FIND_ACCESS, jti.to_owned(), |row| {
                Ok(AccessTokenRow {
                    client_id: row.get(0)?,
                    expires_at: row.get(1)?,
                    revoked_at: row.get(2)?,
                    grant_revoked_at: row.get(3)?,
                })
            })
            .await?),
        Db::Postgres(pool) => Ok(sqlx::query_as(FIND_ACCESS)
            .bind(jti)
            .fetch_optional(pool)
            .await?),
    }
}

pub(crate) async fn revoke_access_token(db: &Db, jti: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL")
        .bind(server_kit::unix_now())
        .bind(jti)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The `jti` and expiry of every access token revoked and not yet expired at `now`.
pub(crate) async fn revoked_access_tokens(
    db: &Db,
    now: i64,
) -> Result<Vec<(String, i64)>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT jti, expires_at FROM access_tokens WHERE revoked_at IS NOT NULL AND expires_at > $1",
    )
    .bind(now)
    .fetch_all(pool)
    .await)?)
}
