//! The demo accounts and the operator's clients, created on first start (and only then: a
//! user who changed them keeps the changes; the confidential clients' secrets follow the
//! configuration on every start).

use server_kit::db::Db;
use shared::{GrantType, ScopeSet, demo};

use crate::error::Internal;
use crate::protocol::client_metadata;
use crate::protocol::password::BCRYPT_COST;
use crate::store::{self, NewUser, OperatorClient};

/// The scopes every user may grant, beside their own.
const OIDC_SCOPES: &str = "openid profile email";

/// For each demo account of `shared::demo::ACCOUNTS` (username, password), in order: the API
/// scopes the user may grant and the display name.
const DEMO_PROFILES: [(&str, &str); 3] = [
    ("read write admin", "Alice Liddell"),
    ("read write", "Bob Builder"),
    ("read", "Carol Danvers"),
];

/// Creates the demo data on first start. The confidential clients' secrets come from the
/// configuration and are (re)applied on every start, so changing the flag changes the secret.
pub(crate) async fn seed(
    db: &Db,
    service_client_secret: &str,
    resource_server_secret: &str,
) -> Result<(), Internal> {
    if store::count_users(db).await? == 0 {
        // bcrypt is slow on purpose: hash the three passwords at once, off the executor.
        let hashing = demo::ACCOUNTS.map(|(_, password)| {
            tokio::task::spawn_blocking(move || bcrypt::hash(password, BCRYPT_COST))
        });
        let accounts = demo::ACCOUNTS.into_iter().zip(DEMO_PROFILES);
        for (((username, _), (scopes, name)), hashed) in accounts.zip(hashing) {
            let hash = hashed.await??;
            let scopes =
                ScopeSet::parse(&format!("{scopes} {OIDC_SCOPES}")).map_err(Internal::new)?;
            store::insert_user(
                db,
                &NewUser {
                    username,
                    password_hash: &hash,
                    allowed_scopes: &scopes,
                    name,
                    email_verified: true,
                },
            )
            .await?;
        }
        tracing::info!(
            "created the demo accounts alice, bob and carol (bcrypt cost {BCRYPT_COST})"
        );
    }
    let service_secret = client_metadata::hash_secret(service_client_secret);
    let resource_server_secret = client_metadata::hash_secret(resource_server_secret);
    for client in [
        // The SPA: a public client (no secret), redirecting to the SPA's `/callback` on
        // either loopback name, over http or, with `scripts/lab.sh --tls`, https.
        OperatorClient {
            client_id: demo::CLIENT_ID,
            name: "OAuth 2.1 lab SPA",
            secret_hash: None,
            redirect_uris: &[
                demo::REDIRECT_URI,
                "http://127.0.0.1:8080/callback",
                "https://localhost:8080/callback",
                "https://127.0.0.1:8080/callback",
            ],
            post_logout_redirect_uris: &[
                "http://localhost:8080/",
                "http://127.0.0.1:8080/",
                "https://localhost:8080/",
                "https://127.0.0.1:8080/",
            ],
            allowed_scopes: "openid profile email read write admin",
            grant_types: &[GrantType::AuthorizationCode, GrantType::RefreshToken],
            can_introspect: false,
        },
        // Confidential clients for service-to-service calls: no redirect URIs, no users.
        // client_credentials is for these alone, never for self-registered clients.
        OperatorClient {
            client_id: "service-client",
            name: "Demo service (client credentials)",
            secret_hash: Some(&service_secret),
            redirect_uris: &[],
            post_logout_redirect_uris: &[],
            allowed_scopes: "read",
            grant_types: &[GrantType::ClientCredentials],
            can_introspect: false,
        },
        OperatorClient {
            client_id: "resource-server",
            name: "The lab's resource server (introspection)",
            secret_hash: Some(&resource_server_secret),
            redirect_uris: &[],
            post_logout_redirect_uris: &[],
            allowed_scopes: "",
            grant_types: &[],
            can_introspect: true,
        },
    ] {
        store::upsert_operator_client(db, &client).await?;
    }
    Ok(())
}
