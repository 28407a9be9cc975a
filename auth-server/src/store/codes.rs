//! Authorization codes, stored by their hash, single use.

use server_kit::db::{Db, Sqlite};
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::model::Grant;
use crate::store::stored::stored_scopes;

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

/// A code with what its redemption needs besides: its grant and its user's name, read in
/// one statement. `None` parts: the grant or the user no longer exists.
#[derive(Debug)]
pub(crate) struct Redeemable {
    pub code: CodeRecord,
    pub grant: Option<Grant>,
    pub username: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RedeemableRow {
    #[sqlx(flatten)]
    code: CodeRecord,
    grant_client_id: Option<String>,
    grant_user_id: Option<String>,
    grant_scope: Option<String>,
    grant_resource: Option<String>,
    grant_auth_time: Option<i64>,
    grant_revoked_at: Option<i64>,
    username: Option<String>,
}

const FIND_REDEEMABLE: &str =
    "SELECT c.grant_id, c.client_id, c.user_id, c.redirect_uri, c.scope, c.code_challenge,
            c.nonce, c.expires_at, c.used_at,
            g.client_id AS grant_client_id, g.user_id AS grant_user_id,
            g.scope AS grant_scope, g.resource AS grant_resource,
            g.auth_time AS grant_auth_time, g.revoked_at AS grant_revoked_at,
            u.username
     FROM authorization_codes c
     LEFT JOIN grants g ON g.id = c.grant_id
     LEFT JOIN users u ON u.id = c.user_id
     WHERE c.code_hash = $1";

/// Read on every redemption: on SQLite by the owner thread.
pub(crate) async fn find_redeemable(
    db: &Db,
    code_hash: &str,
) -> Result<Option<Redeemable>, Internal> {
    let row: Option<RedeemableRow> = match db {
        Db::Sqlite(Sqlite { owner, .. }) => {
            owner
                .optional_row(FIND_REDEEMABLE, code_hash.to_owned(), |row| {
                    Ok(RedeemableRow {
                        code: CodeRecord {
                            grant_id: row.get(0)?,
                            client_id: row.get(1)?,
                            user_id: row.get(2)?,
                            redirect_uri: row.get(3)?,
                            scope: row.get(4)?,
                            code_challenge: row.get(5)?,
                            nonce: row.get(6)?,
                            expires_at: row.get(7)?,
                            used_at: row.get(8)?,
                        },
                        grant_client_id: row.get(9)?,
                        grant_user_id: row.get(10)?,
                        grant_scope: row.get(11)?,
                        grant_resource: row.get(12)?,
                        grant_auth_time: row.get(13)?,
                        grant_revoked_at: row.get(14)?,
                        username: row.get(15)?,
                    })
                })
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(FIND_REDEEMABLE)
                .bind(code_hash)
                .fetch_optional(pool)
                .await?
        }
    };
    Ok(row.map(|row| {
        let grant = match (row.grant_client_id, row.grant_scope, row.grant_resource) {
            (Some(client_id), Some(scope), Some(resource)) => Some(Grant {
                id: row.code.grant_id.clone(),
                client_id,
                user_id: row.grant_user_id,
                scope,
                resource,
                auth_time: row.grant_auth_time,
                revoked_at: row.grant_revoked_at,
            }),
            _ => None,
        };
        Redeemable {
            code: row.code,
            grant,
            username: row.username,
        }
    }))
}
