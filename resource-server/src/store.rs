//! Reading and writing the resource server's database: the only SQL of this server. The
//! notes users keep, and which users (`sub`) it has seen.

use serde::Serialize;
use server_kit::db::Db;
use server_kit::with_db;
use utoipa::ToSchema;

/// A saved note.
#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub(crate) struct Note {
    id: i64,
    text: String,
    created_at: i64,
}

/// The notes of `sub`, newest first.
pub(crate) async fn notes_of(db: &Db, sub: &str) -> Result<Vec<Note>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as("SELECT id, text, created_at FROM notes WHERE sub = $1 ORDER BY id DESC")
        .bind(sub)
        .fetch_all(pool)
        .await)
}

/// Saves a note of `sub`; returns it as saved.
pub(crate) async fn add_note(db: &Db, sub: &str, text: &str) -> Result<Note, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as(
        "INSERT INTO notes (sub, text, created_at) VALUES ($1, $2, $3) RETURNING id, text, created_at",
    )
    .bind(sub)
    .bind(text)
    .bind(server_kit::unix_now())
    .fetch_one(pool)
    .await)
}

/// How many users were seen and how many notes there are.
pub(crate) async fn counts(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    let users_seen: i64 = with_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users_seen")
        .fetch_one(pool)
        .await)?;
    let notes: i64 = with_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM notes")
        .fetch_one(pool)
        .await)?;
    Ok((users_seen, notes))
}

/// Records that `sub` was seen (once; seeing it again changes nothing).
pub(crate) async fn saw_user(db: &Db, sub: &str) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query("INSERT INTO users_seen (sub, first_seen) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(sub)
        .bind(server_kit::unix_now())
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}
