//! Revocation at the resource server: with `--validation introspect` the authorization
//! server decides, so a revocation is seen at once; with JWT validation, the list of
//! revoked tokens the resource server follows brings it within about a second.

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

/// Asks `/api/profile` with `token` until it is refused (the list of revoked tokens is read
/// every half second), for at most ten seconds; the refusal's challenge.
async fn refused_soon(lab: &crate::helpers::Lab, token: &str) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, challenge, _) = answer(lab.get("/api/profile", Some(token)).await).await;
        if status == StatusCode::UNAUTHORIZED {
            return challenge;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the revocation never reached the resource server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn in_jwt_mode_revoking_a_refresh_token_reaches_the_resource_server_for_its_access_tokens() {
    let lab = spawn_lab().await;
    let tokens = lab.tokens_for("alice", "password123", "read").await;
    let access = tokens.access_token.secret().to_owned();
    assert_eq!(
        lab.get("/api/profile", Some(&access)).await.status(),
        StatusCode::OK,
        "verified once, and then kept as verified"
    );
    lab.revoke(
        tokens
            .refresh_token
            .as_ref()
            .expect("refresh token")
            .secret(),
    )
    .await;
    let challenge = refused_soon(&lab, &access).await;
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("revoked"),
        "{challenge}"
    );
}

#[tokio::test]
async fn in_jwt_mode_revoking_an_access_token_reaches_the_resource_server() {
    let lab = spawn_lab().await;
    let access = lab.token("read").await;
    assert_eq!(
        lab.get("/api/profile", Some(&access)).await.status(),
        StatusCode::OK
    );
    lab.revoke(&access).await;
    refused_soon(&lab, &access).await;
    let other = lab.token("read").await;
    assert_eq!(
        lab.get("/api/profile", Some(&other)).await.status(),
        StatusCode::OK,
        "only the revoked token is refused"
    );
}

#[tokio::test]
async fn a_resource_server_started_after_a_revocation_refuses_the_token_from_its_first_request() {
    let lab = spawn_lab().await;
    let access = lab.token("read").await;
    lab.revoke(&access).await;
    let restarted = lab.another_resource_server().await;
    let (status, challenge, _) = answer(
        lab.http
            .get(format!("{restarted}/api/profile"))
            .bearer_auth(&access)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.contains("revoked"), "{challenge}");
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
