//! Pending authorization requests: a request that passed every check of `/authorize`,
//! waiting for the user to log in and consent, bound to one browser session.

use server_kit::db::Db;
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::store::stored::stored_scopes;

/// An authorization request that passed the checks, waiting for login and consent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PendingRequest {
    pub id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub resource: String,
    /// `prompt=consent`: ask even if the user's consent is remembered.
    pub prompt_consent: bool,
    /// The client asked for a new login (`prompt=login`, `select_account`, or a `max_age`
    /// the current login is older than): consent must wait until the user has logged in
    /// after this request was made. A login clears it (`move_requests`).
    pub login_required: bool,
}

impl PendingRequest {
    pub(crate) fn scopes(&self) -> Result<ScopeSet, Internal> {
        stored_scopes(&self.scope)
    }
}

pub(crate) async fn insert_request(
    db: &Db,
    session_hash: &str,
    request: &PendingRequest,
    ttl: i64,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO authorization_requests
         (id, session_hash, client_id, redirect_uri, scope, state, code_challenge, nonce, resource, expires_at,
          prompt_consent, login_required)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&request.id)
    .bind(session_hash)
    .bind(&request.client_id)
    .bind(&request.redirect_uri)
    .bind(&request.scope)
    .bind(&request.state)
    .bind(&request.code_challenge)
    .bind(&request.nonce)
    .bind(&request.resource)
    .bind(server_kit::unix_now() + ttl)
    .bind(request.prompt_consent)
    .bind(request.login_required)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The pending request `id`, if it belongs to the browser session `session_hash` and has
/// not expired.
pub(crate) async fn find_request(
    db: &Db,
    id: &str,
    session_hash: &str,
) -> Result<Option<PendingRequest>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT id, client_id, redirect_uri, scope, state, code_challenge, nonce, resource, prompt_consent,
                login_required
         FROM authorization_requests WHERE id = $1 AND session_hash = $2 AND expires_at > $3",
    )
    .bind(id)
    .bind(session_hash)
    .bind(server_kit::unix_now())
    .fetch_optional(pool)
    .await)?)
}

/// Takes the pending request out (single use), if it is still there.
pub(crate) async fn take_request(
    db: &Db,
    id: &str,
    session_hash: &str,
) -> Result<Option<PendingRequest>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "DELETE FROM authorization_requests WHERE id = $1 AND session_hash = $2 AND expires_at > $3
         RETURNING id, client_id, redirect_uri, scope, state, code_challenge, nonce, resource, prompt_consent,
                   login_required",
    )
    .bind(id)
    .bind(session_hash)
    .bind(server_kit::unix_now())
    .fetch_optional(pool)
    .await)?)
}

/// Moves the browser's pending requests to its new session id after login: the login they
/// may have waited for has happened.
pub(crate) async fn move_requests(db: &Db, from: &str, to: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "UPDATE authorization_requests SET session_hash = $1, login_required = FALSE WHERE session_hash = $2",
    )
        .bind(to)
        .bind(from)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}
