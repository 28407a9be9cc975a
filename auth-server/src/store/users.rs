//! User accounts: the demo accounts and those created at `/signup`.

use server_kit::db::Db;
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::store::stored::stored_scopes;

/// A user account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub allowed_scopes: String,
    pub name: String,
    pub email: String,
    /// OIDC Core §5.1: true only for an address this server verified (the demo accounts).
    pub email_verified: bool,
}

impl User {
    pub(crate) fn allowed_scopes(&self) -> Result<ScopeSet, Internal> {
        stored_scopes(&self.allowed_scopes)
    }
}

pub(crate) async fn find_user_by_name(db: &Db, username: &str) -> Result<Option<User>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT id, username, password_hash, allowed_scopes, name, email, email_verified FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(pool)
    .await)?)
}

pub(crate) async fn find_user(db: &Db, id: &str) -> Result<Option<User>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT id, username, password_hash, allowed_scopes, name, email, email_verified FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// An account to create.
#[derive(Debug)]
pub(crate) struct NewUser<'a> {
    pub username: &'a str,
    /// bcrypt, cost 12.
    pub password_hash: &'a str,
    pub allowed_scopes: &'a ScopeSet,
    pub name: &'a str,
    /// The address `<username>@example.com` was verified (the seeded demo accounts only).
    pub email_verified: bool,
}

/// Creates a user and returns the new id; `None` if the username is taken (by a racing
/// sign-up, or by a replica seeding at the same moment).
pub(crate) async fn insert_user(db: &Db, user: &NewUser<'_>) -> Result<Option<String>, Internal> {
    let id = shared::random::token();
    let inserted = with_db!(db, pool => sqlx::query(
        "INSERT INTO users (id, username, password_hash, allowed_scopes, name, email, created_at, email_verified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (username) DO NOTHING",
    )
    .bind(&id)
    .bind(user.username)
    .bind(user.password_hash)
    .bind(user.allowed_scopes.to_string())
    .bind(user.name)
    .bind(format!("{}@example.com", user.username))
    .bind(server_kit::unix_now())
    .bind(user.email_verified)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok((inserted == 1).then_some(id))
}

/// How many accounts there are.
pub(crate) async fn count_users(db: &Db) -> Result<i64, Internal> {
    Ok(
        with_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await)?,
    )
}
