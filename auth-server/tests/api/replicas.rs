//! Scaled out: two `auth-server` processes on different ports sharing one
//! PostgreSQL database, as behind a load balancer. Every fact a request depends on (codes,
//! refresh-token families, sessions, login failures, signing keys) lives in the database,
//! so which replica answers makes no difference to the protocol.
//!
//! These tests need a PostgreSQL server: `scripts/test.sh` runs them with a throwaway one,
//!   bash scripts/with-postgres.sh cargo test -p auth-server --test api replicas -- --include-ignored

use std::process::Child;

use futures::future::join_all;
use reqwest::StatusCode;
use server_kit::testing::{POSTGRES_URL_VAR, fresh_database};
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{TestApp, assert_one_winner, error_of, obtain_code, outcome};
use crate::process::{free_port, start};

const NEEDS_POSTGRES: &str = "needs PostgreSQL: bash scripts/with-postgres.sh cargo test -p auth-server --test api replicas -- --include-ignored";

/// The issuer both replicas are configured with: what the load balancer's clients see,
/// never taken from a request's `Host`.
const ISSUER: &str = "http://auth.lab.test";

/// Two replicas on one fresh PostgreSQL database; both processes are killed on drop.
struct Replicas {
    a: TestApp,
    b: TestApp,
    processes: Vec<Child>,
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for process in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

async fn replicas() -> Replicas {
    assert!(
        std::env::var(POSTGRES_URL_VAR).is_ok(),
        "{POSTGRES_URL_VAR} is not set: {NEEDS_POSTGRES}"
    );
    let data = tempfile::tempdir().expect("a temporary directory");
    let database = fresh_database(data.path(), "replicas").await;
    let mut processes = Vec::new();
    let mut replica = async |data| {
        let port = free_port();
        processes.push(start(port, &database, &["--issuer", ISSUER]).await);
        let mut app = TestApp::running_at(port, database.clone(), data);
        ISSUER.clone_into(&mut app.issuer);
        app
    };
    let a = replica(data).await;
    let b = replica(tempfile::tempdir().expect("a temporary directory")).await;
    Replicas { a, b, processes }
}

async fn tokens(response: reqwest::Response) -> TokenResponse {
    assert_eq!(response.status(), StatusCode::OK, "tokens");
    response.json().await.expect("a token response")
}

async fn body(app: &TestApp, path: &str) -> String {
    let response = app.http.get(app.url(path)).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("a body")
}

#[tokio::test]
#[ignore = "needs PostgreSQL (scripts/with-postgres.sh)"]
async fn two_replicas_publish_the_same_jwks_and_discovery_documents_with_the_configured_issuer() {
    let lab = replicas().await;
    for path in [
        "/jwks.json",
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        assert_eq!(body(&lab.a, path).await, body(&lab.b, path).await, "{path}");
    }
    let discovery: serde_json::Value =
        serde_json::from_str(&body(&lab.b, "/.well-known/oauth-authorization-server").await)
            .expect("JSON");
    assert_eq!(discovery["issuer"], ISSUER);
    assert_eq!(discovery["token_endpoint"], format!("{ISSUER}/token"));
}

#[tokio::test]
#[ignore = "needs PostgreSQL (scripts/with-postgres.sh)"]
async fn a_code_issued_by_one_replica_is_redeemed_at_the_other() {
    let lab = replicas().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&lab.a, "alice", "password123", "read", &verifier).await;
    let issued = tokens(lab.b.redeem(&code, verifier.secret()).await).await;
    let access = issued.access_token.secret();
    // Signed with the shared key: each replica's JWKS verifies it, each introspects it.
    let claims =
        jsonwebtoken::decode::<shared::AccessTokenClaims>(access, &lab.a.key_for(access).await, &{
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
            validation.set_issuer(&[ISSUER]);
            validation.validate_aud = false;
            validation
        })
        .expect("the token verifies against replica A's JWKS")
        .claims;
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(lab.a.introspect(access).await["active"], true);
    // And the code is used up on both.
    assert_eq!(
        error_of(lab.a.redeem(&code, verifier.secret()).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL (scripts/with-postgres.sh)"]
async fn a_refresh_token_replayed_at_the_other_replica_is_invalid_grant_and_revokes_the_family() {
    let lab = replicas().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&lab.a, "alice", "password123", "read", &verifier).await;
    let first = tokens(lab.a.redeem(&code, verifier.secret()).await).await;
    let old = first.refresh_token.expect("a refresh token");
    let rotated = tokens(lab.a.refresh(old.secret()).await).await;
    let newest = rotated.refresh_token.expect("a rotated refresh token");

    // RFC 9700 §4.14.2: the replay of a rotated refresh token revokes the whole family.
    assert_eq!(
        error_of(lab.b.refresh(old.secret()).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        error_of(lab.a.refresh(newest.secret()).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into()),
        "the newest refresh token of the family is revoked too"
    );
    for app in [&lab.a, &lab.b] {
        assert_eq!(
            app.introspect(rotated.access_token.secret()).await["active"],
            false
        );
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (scripts/with-postgres.sh)"]
async fn of_50_concurrent_redemptions_of_one_code_over_both_replicas_exactly_one_succeeds() {
    let lab = replicas().await;
    // Ten codes raced at once, 50 racers each, alternating between the replicas: 500
    // redemptions in flight, so the window between reading a code and using it up is hit.
    let mut browser = lab.b.logged_in("bob", "secret456").await;
    let mut codes = Vec::new();
    for _ in 0..10 {
        let verifier = CodeVerifier::generate();
        codes.push((browser.approve(&verifier, "read").await, verifier));
    }
    let (a, b) = (&lab.a, &lab.b);
    let answers = join_all(codes.iter().flat_map(|(code, verifier)| {
        (0..50).map(move |racer| {
            let replica = if racer % 2 == 0 { a } else { b };
            async move {
                (
                    code,
                    outcome(replica.redeem(code, verifier.secret()).await).await,
                )
            }
        })
    }))
    .await;
    for (code, _) in &codes {
        let raced: Vec<(StatusCode, String)> = answers
            .iter()
            .filter(|(c, _)| *c == code)
            .map(|(_, answer)| answer.clone())
            .collect();
        assert_eq!(raced.len(), 50);
        assert_one_winner(&raced);
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (scripts/with-postgres.sh)"]
async fn a_session_made_on_one_replica_works_on_the_other() {
    let lab = replicas().await;
    let on_a = lab.a.logged_in("carol", "mypass789").await;
    // No login page on B: straight to consent, then a code B issued for carol.
    let verifier = CodeVerifier::generate();
    let code = on_a.switch_to(&lab.b).approve(&verifier, "read").await;
    let issued = tokens(lab.a.redeem(&code, verifier.secret()).await).await;
    let introspection = lab.b.introspect(issued.access_token.secret()).await;
    assert_eq!(introspection["active"], true);
    assert_eq!(introspection["username"], "carol");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (scripts/with-postgres.sh)"]
async fn failed_logins_on_one_replica_count_on_the_other() {
    let lab = replicas().await;
    let mut browser = lab.a.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("the login page");
    for attempt in 1..=5 {
        let replica = if attempt % 2 == 0 { &lab.a } else { &lab.b };
        let response = browser
            .switch_to(replica)
            .log_in(&html, "carol", "wrong-password")
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        browser
            .switch_to(&lab.a)
            .log_in(&html, "carol", "mypass789")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL (scripts/with-postgres.sh)"]
async fn a_key_rotated_on_the_shared_database_is_published_by_both_replicas_at_once() {
    let lab = replicas().await;
    let rotated = auth_server::startup::rotate_key(&lab.a.database_url, 300)
        .await
        .expect("rotated");
    for app in [&lab.a, &lab.b] {
        let jwks = app.jwks().await;
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .filter_map(|key| key["kid"].as_str())
            .collect();
        // Each algorithm's key and its successor.
        assert_eq!(
            kids.len(),
            2 * shared::jwt::SigningAlg::ALL.len(),
            "{kids:?}"
        );
        for (_, kid) in &rotated.kids {
            assert!(kids.contains(&kid.as_str()), "{kids:?}");
        }
    }
}
