//! Reading and writing the database. The protocol decisions are made by the callers; here
//! is only how the facts are stored. Secrets arrive here already hashed.

use server_kit::db::Db;
use server_kit::with_db;
use shared::{ClientId, GrantType, RedirectUri, ScopeSet};

use crate::error::Internal;

/// A registered client.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub client_id: ClientId,
    pub name: String,
    /// SHA-256 (hex) of the secret of a confidential client; `None` for a public client.
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub allowed_scopes: ScopeSet,
    pub can_introspect: bool,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// The grants the client was registered for (RFC 7591 §2 `grant_types`).
    pub grant_types: Vec<GrantType>,
    /// Registered by anyone (dynamic registration, the clients pages), not by the operator.
    pub self_registered: bool,
}

impl Client {
    /// Was the client registered for `grant`? RFC 6749 §5.2: if not, `unauthorized_client`.
    pub(crate) fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    name: String,
    secret_hash: Option<String>,
    redirect_uris: String,
    allowed_scopes: String,
    can_introspect: bool,
    post_logout_redirect_uris: String,
    grant_types: String,
    self_registered: bool,
}

pub(crate) async fn find_client(db: &Db, client_id: &str) -> Result<Option<Client>, Internal> {
    let row: Option<ClientRow> = with_db!(db, pool => sqlx::query_as(
        "SELECT client_id, name, secret_hash, redirect_uris, allowed_scopes, can_introspect,
                post_logout_redirect_uris, grant_types, self_registered
         FROM clients WHERE client_id = $1",
    )
    .bind(client_id)
    .fetch_optional(pool)
    .await)?;
    row.map(|row| {
        let uris = |json: &str| -> Result<Vec<RedirectUri>, Internal> {
            Ok(stored_list(json)?.iter().map(RedirectUri::new).collect())
        };
        let grant_types = stored_list(&row.grant_types)?
            .iter()
            .map(|g| {
                GrantType::parse(g).ok_or_else(|| Internal::new(format!("stored grant type {g:?}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Client {
            client_id: ClientId::new(row.client_id),
            name: row.name,
            secret_hash: row.secret_hash,
            redirect_uris: uris(&row.redirect_uris)?,
            allowed_scopes: stored_scopes(&row.allowed_scopes)?,
            can_introspect: row.can_introspect,
            post_logout_redirect_uris: uris(&row.post_logout_redirect_uris)?,
            grant_types,
            self_registered: row.self_registered,
        })
    })
    .transpose()
}

/// Lists are stored as JSON arrays of strings, never joined text: a value can hold any
/// character without becoming two values. (An empty column, the SQLite schema's old
/// default, is an empty list.)
fn stored_list(json: &str) -> Result<Vec<String>, Internal> {
    if json.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(json).map_err(Internal::new)
}

fn list_json<T: AsRef<str>>(values: &[T]) -> String {
    serde_json::Value::from(values.iter().map(AsRef::as_ref).collect::<Vec<_>>()).to_string()
}

/// Is `name` (compared without case) taken by another client than `except_client_id`?
/// For an anonymous dynamic registration (`anonymous`), other anonymous dynamic
/// registrations do not count (see `registration::check_name`).
pub(crate) async fn client_name_taken(
    db: &Db,
    name: &str,
    except_client_id: &str,
    anonymous: bool,
) -> Result<bool, Internal> {
    let found: Option<String> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT client_id FROM clients
         WHERE LOWER(name) = LOWER($1) AND client_id <> $2
           AND NOT ($3 AND self_registered AND owner_user_id IS NULL)
         LIMIT 1",
    )
    .bind(name.trim())
    .bind(except_client_id)
    .bind(anonymous)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// A client to register.
#[derive(Debug)]
pub(crate) struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub allowed_scopes: &'a ScopeSet,
    pub grant_types: &'a [GrantType],
    pub owner_user_id: Option<&'a str>,
}

/// Stores a self-registered client (dynamic registration or the clients pages).
pub(crate) async fn insert_client(db: &Db, client: &NewClient<'_>) -> Result<(), Internal> {
    let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, allowed_scopes, owner_user_id,
                              created_at, grant_types, post_logout_redirect_uris, self_registered)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', TRUE)",
    )
    .bind(client.client_id)
    .bind(client.name)
    .bind(client.secret_hash)
    .bind(list_json(client.redirect_uris))
    .bind(client.allowed_scopes.to_string())
    .bind(client.owner_user_id)
    .bind(server_kit::unix_now())
    .bind(list_json(&grant_types))
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The clients `owner_user_id` registered on the clients pages: (id, name, confidential, scopes).
pub(crate) async fn clients_of(
    db: &Db,
    owner_user_id: &str,
) -> Result<Vec<(String, String, bool, String)>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT client_id, name, secret_hash IS NOT NULL, allowed_scopes FROM clients
         WHERE owner_user_id = $1 ORDER BY created_at, client_id",
    )
    .bind(owner_user_id)
    .fetch_all(pool)
    .await)?)
}

/// Changes a client its owner registered; false if there is no such client of that owner.
pub(crate) async fn update_client(
    db: &Db,
    owner_user_id: &str,
    client_id: &str,
    name: &str,
    redirect_uris: &[String],
    allowed_scopes: &ScopeSet,
) -> Result<bool, Internal> {
    let changed = with_db!(db, pool => sqlx::query(
        "UPDATE clients SET name = $1, redirect_uris = $2, allowed_scopes = $3 WHERE client_id = $4 AND owner_user_id = $5",
    )
    .bind(name)
    .bind(list_json(redirect_uris))
    .bind(allowed_scopes.to_string())
    .bind(client_id)
    .bind(owner_user_id)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

/// Deletes a client its owner registered, with everything issued to it.
pub(crate) async fn delete_client(
    db: &Db,
    owner_user_id: &str,
    client_id: &str,
) -> Result<bool, Internal> {
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let owned: Option<String> = sqlx::query_scalar(
            "SELECT client_id FROM clients WHERE client_id = $1 AND owner_user_id = $2",
        )
        .bind(client_id)
        .bind(owner_user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if owned.is_none() {
            return Ok(false);
        }
        for table in [
            "authorization_codes",
            "access_tokens",
            "refresh_tokens",
            "authorization_requests",
            "grants",
            "clients",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE client_id = $1"))
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(true)
}

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

/// Creates a user and returns the new id.
pub(crate) async fn insert_user(
    db: &Db,
    username: &str,
    password_hash: &str,
    allowed_scopes: &ScopeSet,
) -> Result<String, Internal> {
    let id = shared::random::token();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO users (id, username, password_hash, allowed_scopes, name, email, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(username)
    .bind(password_hash)
    .bind(allowed_scopes.to_string())
    .bind(username)
    .bind(format!("{username}@example.com"))
    .bind(server_kit::unix_now())
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(id)
}

/// Scopes written by this server parse back; anything else is a corrupt row.
fn stored_scopes(value: &str) -> Result<ScopeSet, Internal> {
    if value.is_empty() {
        return Ok(ScopeSet::default());
    }
    ScopeSet::parse(value).map_err(Internal::new)
}

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
         (id, session_hash, client_id, redirect_uri, scope, state, code_challenge, nonce, resource, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        "SELECT id, client_id, redirect_uri, scope, state, code_challenge, nonce, resource
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
         RETURNING id, client_id, redirect_uri, scope, state, code_challenge, nonce, resource",
    )
    .bind(id)
    .bind(session_hash)
    .bind(server_kit::unix_now())
    .fetch_optional(pool)
    .await)?)
}

/// Moves the browser's pending requests to its new session id after login.
pub(crate) async fn move_requests(db: &Db, from: &str, to: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("UPDATE authorization_requests SET session_hash = $1 WHERE session_hash = $2")
        .bind(to)
        .bind(from)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A grant: one user's (or, for client credentials, one client's) authorization of a
/// client. Every code and token is issued from one; revoking it revokes them all.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub resource: String,
    pub auth_time: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Grant {
    /// A new, unsaved grant with a fresh id.
    pub(crate) fn new(
        client_id: &str,
        user_id: Option<&str>,
        scope: &ScopeSet,
        resource: &str,
        auth_time: Option<i64>,
    ) -> Self {
        Self {
            id: shared::random::token(),
            client_id: client_id.to_owned(),
            user_id: user_id.map(str::to_owned),
            scope: scope.to_string(),
            resource: resource.to_owned(),
            auth_time,
            revoked_at: None,
        }
    }
}

pub(crate) async fn insert_grant(db: &Db, grant: &Grant) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO grants (id, client_id, user_id, scope, resource, auth_time, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&grant.id)
    .bind(&grant.client_id)
    .bind(&grant.user_id)
    .bind(&grant.scope)
    .bind(&grant.resource)
    .bind(grant.auth_time)
    .bind(server_kit::unix_now())
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub(crate) async fn find_grant(db: &Db, id: &str) -> Result<Option<Grant>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT id, client_id, user_id, scope, resource, auth_time, revoked_at FROM grants WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// Revokes a grant: every token issued from it stops being active.
pub(crate) async fn revoke_grant(db: &Db, grant_id: &str) -> Result<(), Internal> {
    let now = server_kit::unix_now();
    with_db!(db, pool => sqlx::query("UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(grant_id)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    with_db!(db, pool => sqlx::query(
        "UPDATE access_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(grant_id)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    with_db!(db, pool => sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(grant_id)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

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
