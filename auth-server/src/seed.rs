//! The demo accounts and the demo client, created on first start (and only then: a user
//! who changed them keeps the changes).

use server_kit::db::Db;
use server_kit::with_db;
use shared::ScopeSet;

use crate::client_auth;
use crate::error::Internal;
use crate::password::BCRYPT_COST;

/// The scopes every user may grant, beside their own.
const OIDC_SCOPES: &str = "openid profile email";

/// username, password, the API scopes the user may grant, display name.
const DEMO_USERS: [(&str, &str, &str, &str); 3] = [
    ("alice", "password123", "read write admin", "Alice Liddell"),
    ("bob", "secret456", "read write", "Bob Builder"),
    ("carol", "mypass789", "read", "Carol Danvers"),
];

/// The SPA: a public client (no secret), redirecting to the SPA's `/callback` on either
/// loopback name. (Lists are stored as JSON arrays.)
const DEMO_CLIENT_ID: &str = "demo-client";
const DEMO_CLIENT_NAME: &str = "OAuth 2.1 lab SPA";
const DEMO_CLIENT_REDIRECT_URIS: &str =
    r#"["http://localhost:8080/callback","http://127.0.0.1:8080/callback"]"#;
const DEMO_CLIENT_SCOPES: &str = "openid profile email read write admin";
const DEMO_CLIENT_POST_LOGOUT_URIS: &str = r#"["http://localhost:8080/","http://127.0.0.1:8080/"]"#;
const DEMO_CLIENT_GRANT_TYPES: &str = r#"["authorization_code","refresh_token"]"#;

/// Creates the demo data on first start. The confidential clients' secrets come from the
/// configuration and are (re)applied on every start, so changing the flag changes the secret.
pub(crate) async fn seed(
    db: &Db,
    service_client_secret: &str,
    resource_server_secret: &str,
) -> Result<(), Internal> {
    let users: i64 = with_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await)?;
    if users == 0 {
        // bcrypt is slow on purpose: hash the three passwords at once, off the executor.
        let hashing = DEMO_USERS.map(|(_, password, _, _)| {
            tokio::task::spawn_blocking(move || bcrypt::hash(password, BCRYPT_COST))
        });
        for ((username, _, scopes, name), hashed) in DEMO_USERS.into_iter().zip(hashing) {
            let hash = hashed.await??;
            let scopes =
                ScopeSet::parse(&format!("{scopes} {OIDC_SCOPES}")).map_err(Internal::new)?;
            with_db!(db, pool => sqlx::query(
                "INSERT INTO users (id, username, password_hash, allowed_scopes, name, email, created_at, email_verified)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE)
                 ON CONFLICT (username) DO NOTHING",
            )
            .bind(shared::random::token())
            .bind(username)
            .bind(hash)
            .bind(scopes.to_string())
            .bind(name)
            .bind(format!("{username}@example.com"))
            .bind(server_kit::unix_now())
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        }
        tracing::info!(
            "created the demo accounts alice, bob and carol (bcrypt cost {BCRYPT_COST})"
        );
    }
    with_db!(db, pool => sqlx::query(
        "INSERT INTO clients
         (client_id, name, secret_hash, redirect_uris, allowed_scopes, post_logout_redirect_uris, created_at, grant_types)
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7)
         ON CONFLICT (client_id) DO NOTHING",
    )
    .bind(DEMO_CLIENT_ID)
    .bind(DEMO_CLIENT_NAME)
    .bind(DEMO_CLIENT_REDIRECT_URIS)
    .bind(DEMO_CLIENT_SCOPES)
    .bind(DEMO_CLIENT_POST_LOGOUT_URIS)
    .bind(server_kit::unix_now())
    .bind(DEMO_CLIENT_GRANT_TYPES)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    // Confidential clients for service-to-service calls: no redirect URIs, no users. The
    // operator configures these; client_credentials is never open to self-registered clients.
    for (client_id, name, secret, scopes, can_introspect, grant_types) in [
        (
            "service-client",
            "Demo service (client credentials)",
            service_client_secret,
            "read",
            false,
            r#"["client_credentials"]"#,
        ),
        (
            "resource-server",
            "The lab's resource server (introspection)",
            resource_server_secret,
            "",
            true,
            "[]",
        ),
    ] {
        with_db!(db, pool => sqlx::query(
            "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, allowed_scopes, can_introspect, created_at,
                                  post_logout_redirect_uris, grant_types)
             VALUES ($1, $2, $3, '[]', $4, $5, $6, '[]', $7)
             ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash",
        )
        .bind(client_id)
        .bind(name)
        .bind(client_auth::hash_secret(secret))
        .bind(scopes)
        .bind(can_introspect)
        .bind(server_kit::unix_now())
        .bind(grant_types)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    }
    Ok(())
}
