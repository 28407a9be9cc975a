//! Authorization codes, stored by their hash, single use.

use server_kit::db::{Db, Sqlite, rusqlite};
use server_kit::with_db;
use shared::{CodeChallenge, RedirectUri, ScopeSet};

use crate::error::Internal;
use crate::model::Grant;
use crate::store::stored::stored_scopes;

/// An issued authorization code, its values decoded into the protocol's types once, here:
/// a stored value that does not read back is this server's failure (a `500`), never a
/// refusal the client would be blamed for.
#[derive(Debug, Clone)]
pub(crate) struct CodeRecord {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: RedirectUri,
    pub scope: ScopeSet,
    pub code_challenge: CodeChallenge,
    pub nonce: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A code as its columns hold it; read by name, the same way by both drivers.
#[derive(sqlx::FromRow)]
struct CodeRow {
    grant_id: String,
    client_id: String,
    user_id: String,
    redirect_uri: String,
    scope: String,
    code_challenge: String,
    nonce: Option<String>,
    expires_at: i64,
    used_at: Option<i64>,
}

impl CodeRow {
    fn from_rusqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            grant_id: row.get("grant_id")?,
            client_id: row.get("client_id")?,
            user_id: row.get("user_id")?,
            redirect_uri: row.get("redirect_uri")?,
            scope: row.get("scope")?,
            code_challenge: row.get("code_challenge")?,
            nonce: row.get("nonce")?,
            expires_at: row.get("expires_at")?,
            used_at: row.get("used_at")?,
        })
    }

    fn decode(self) -> Result<CodeRecord, Internal> {
        Ok(CodeRecord {
            grant_id: self.grant_id,
            client_id: self.client_id,
            user_id: self.user_id,
            redirect_uri: RedirectUri::new(self.redirect_uri),
            scope: stored_scopes(&self.scope)?,
            code_challenge: CodeChallenge::parse(&self.code_challenge).map_err(Internal::new)?,
            nonce: self.nonce,
            expires_at: self.expires_at,
            used_at: self.used_at,
        })
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
    .bind(code.redirect_uri.as_str())
    .bind(code.scope.to_string())
    .bind(code.code_challenge.as_str())
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
    code: CodeRow,
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
                        code: CodeRow::from_rusqlite(row)?,
                        grant_client_id: row.get("grant_client_id")?,
                        grant_user_id: row.get("grant_user_id")?,
                        grant_scope: row.get("grant_scope")?,
                        grant_resource: row.get("grant_resource")?,
                        grant_auth_time: row.get("grant_auth_time")?,
                        grant_revoked_at: row.get("grant_revoked_at")?,
                        username: row.get("username")?,
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
    let Some(row) = row else {
        return Ok(None);
    };
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
    Ok(Some(Redeemable {
        code: row.code.decode()?,
        grant,
        username: row.username,
    }))
}
