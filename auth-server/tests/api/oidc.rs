//! OpenID Connect: the ID token and the UserInfo endpoint.

use jsonwebtoken::{Algorithm, Validation};
use reqwest::StatusCode;
use shared::{CodeVerifier, IdTokenClaims, TokenResponse};

use crate::helpers::{CLIENT_ID, TestApp, redirect_params, spawn_app};

async fn tokens_with(app: &TestApp, scope: &str, nonce: Option<&str>) -> TokenResponse {
    let verifier = CodeVerifier::generate();
    let mut browser = app.browser();
    let html = browser
        .authorize(&verifier, &[("scope", Some(scope)), ("nonce", nonce)])
        .await
        .text()
        .await
        .expect("login page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "approve")
        .await;
    let code = redirect_params(&back).get("code").cloned().expect("a code");
    app.redeem(&code, verifier.secret())
        .await
        .json()
        .await
        .expect("tokens")
}

async fn userinfo(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn with_openid_the_token_response_has_an_id_token_for_the_client_with_the_nonce() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "openid read", Some("n-123")).await;
    let id_token = tokens.id_token.expect("an id_token");
    let key = app.key_for(&id_token).await;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[&app.issuer]);
    validation.set_audience(&[CLIENT_ID]);
    let claims = jsonwebtoken::decode::<IdTokenClaims>(&id_token, &key, &validation)
        .expect("verifies")
        .claims;
    assert_eq!(claims.nonce.as_deref(), Some("n-123"));
    assert!(claims.auth_time.is_some());
    assert!(claims.at_hash.is_some_and(|h| h.len() == 43));
}

#[tokio::test]
async fn without_openid_there_is_no_id_token() {
    let app = spawn_app().await;
    assert!(tokens_with(&app, "read", None).await.id_token.is_none());
}

#[tokio::test]
async fn userinfo_answers_the_claims_of_the_granted_scopes() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "openid profile", None).await;
    let body: serde_json::Value = userinfo(&app, tokens.access_token.secret())
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["preferred_username"], "alice");
    assert!(body["name"].is_string());
    assert!(body.get("email").is_none(), "email was not granted");

    let tokens = tokens_with(&app, "openid email", None).await;
    let body: serde_json::Value = userinfo(&app, tokens.access_token.secret())
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["email"], "alice@example.com");
    assert!(body.get("name").is_none(), "profile was not granted");
}

#[tokio::test]
async fn userinfo_without_the_openid_scope_is_403_insufficient_scope() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "read", None).await;
    let response = userinfo(&app, tokens.access_token.secret()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("insufficient_scope")
    );
}

#[tokio::test]
async fn userinfo_with_a_bad_token_is_401_invalid_token() {
    let app = spawn_app().await;
    let response = userinfo(&app, "not-a-token").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("error=\"invalid_token\"")
    );
}
