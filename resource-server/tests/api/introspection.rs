//! `--validation introspect`: the authorization server decides, so revocation is seen.

use reqwest::StatusCode;
use resource_server::config::ValidationMode;

use crate::helpers::{answer, spawn_lab, spawn_lab_with};

#[tokio::test]
async fn in_introspection_mode_a_live_token_is_accepted() {
    let lab = spawn_lab_with(|c| c.validation = ValidationMode::Introspect).await;
    let token = lab.token("read").await;
    let response = lab.get("/api/profile", Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["username"], "alice");
}

#[tokio::test]
async fn in_introspection_mode_a_revoked_token_is_refused_at_once() {
    let lab = spawn_lab_with(|c| {
        c.validation = ValidationMode::Introspect;
        c.introspection_cache_secs = 0;
    })
    .await;
    let tokens = lab.tokens_for("alice", "password123", "read").await;
    let access = tokens.access_token.secret().to_owned();
    assert_eq!(
        lab.get("/api/profile", Some(&access)).await.status(),
        StatusCode::OK
    );
    lab.revoke(
        tokens
            .refresh_token
            .as_ref()
            .expect("refresh token")
            .secret(),
    )
    .await;
    let (status, challenge, _) = answer(lab.get("/api/profile", Some(&access)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("not active"),
        "{challenge}"
    );
}

#[tokio::test]
async fn in_jwt_mode_a_revoked_token_stays_accepted_until_it_expires() {
    let lab = spawn_lab().await;
    let tokens = lab.tokens_for("alice", "password123", "read").await;
    lab.revoke(
        tokens
            .refresh_token
            .as_ref()
            .expect("refresh token")
            .secret(),
    )
    .await;
    // The trade-off the README explains: local validation cannot see revocations.
    assert_eq!(
        lab.get("/api/profile", Some(tokens.access_token.secret()))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn in_introspection_mode_a_refresh_token_is_not_an_access_token() {
    let lab = spawn_lab_with(|c| c.validation = ValidationMode::Introspect).await;
    let tokens = lab.tokens_for("alice", "password123", "read").await;
    let refresh = tokens
        .refresh_token
        .as_ref()
        .expect("refresh token")
        .secret()
        .to_owned();
    let (status, _, body) = answer(lab.get("/api/profile", Some(&refresh)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn when_introspection_fails_the_503_does_not_name_the_internal_endpoint() {
    let lab = spawn_lab_with(|c| {
        c.validation = ValidationMode::Introspect;
        c.client_secret = "not-the-secret".to_owned();
    })
    .await;
    let token = lab.token("read").await;
    let (status, _, body) = answer(lab.get("/api/profile", Some(&token)).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "temporarily_unavailable");
    let description = body["error_description"].as_str().expect("a description");
    assert!(
        !description.contains("http") && !description.contains("introspect"),
        "{description}"
    );
}
