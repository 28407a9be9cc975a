//! Resource indicators (RFC 8707): the client names which resource server a token is for.

use reqwest::StatusCode;
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{CLIENT_ID, REDIRECT_URI, TestApp, error_of, redirect_params, spawn_app};

const OTHER: &str = "http://localhost:8083";

/// The payload of a JWT, without verifying it (the token tests verify signatures).
fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64"),
    )
    .expect("JSON")
}

async fn code_for_resource(app: &TestApp, verifier: &CodeVerifier, resource: &str) -> String {
    let mut browser = app.browser();
    let html = browser
        .authorize(verifier, &[("resource", Some(resource))])
        .await
        .text()
        .await
        .expect("login page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "approve")
        .await;
    redirect_params(&back).get("code").cloned().expect("a code")
}

#[tokio::test]
async fn an_unknown_resource_at_authorize_is_sent_back_as_invalid_target() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .authorize(
            &CodeVerifier::generate(),
            &[("resource", Some("http://evil.example"))],
        )
        .await;
    assert_eq!(
        redirect_params(&response).get("error").map(String::as_str),
        Some("invalid_target")
    );
}

#[tokio::test]
async fn a_resource_named_at_authorize_becomes_the_audience_of_the_token() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = code_for_resource(&app, &verifier, OTHER).await;
    let tokens: TokenResponse = app.redeemed(&code, &verifier).await;
    // The resource alone, `openid` or not: only a token for the default resource is also
    // for the UserInfo endpoint, so this resource cannot replay it there (RFC 8707 §2).
    assert_eq!(claims_of(tokens.access_token.secret())["aud"], OTHER);
}

#[tokio::test]
async fn without_a_resource_the_token_is_for_the_labs_resource_server() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
        ])
        .await;
    let tokens: TokenResponse = response.json().await.expect("tokens");
    assert_eq!(
        claims_of(tokens.access_token.secret())["aud"],
        "http://localhost:8082"
    );
}

#[tokio::test]
async fn client_credentials_may_name_another_known_resource() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
            ("resource", OTHER),
        ])
        .await;
    let tokens: TokenResponse = response.json().await.expect("tokens");
    assert_eq!(claims_of(tokens.access_token.secret())["aud"], OTHER);
}

#[tokio::test]
async fn a_token_request_for_a_resource_the_grant_does_not_cover_is_invalid_target() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = code_for_resource(&app, &verifier, "http://localhost:8082").await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier.secret()),
            ("resource", OTHER),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_target".into())
    );
}

#[tokio::test]
async fn every_resource_given_with_a_repeated_resource_flag_can_be_asked_for() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.resources = vec![
            "http://localhost:9001/mcp".to_owned(),
            "https://api.example/v1".to_owned(),
        ];
    })
    .await;
    for resource in ["http://localhost:9001/mcp", "https://api.example/v1"] {
        let response = app.service_token_for(resource).await;
        assert_eq!(response.status(), StatusCode::OK, "{resource}");
        let tokens: TokenResponse = response.json().await.expect("tokens");
        assert_eq!(claims_of(tokens.access_token.secret())["aud"], resource);
    }
    let (status, error) = error_of(app.service_token_for(OTHER).await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_target")
    );
}

#[tokio::test]
async fn with_any_loopback_resource_a_token_is_issued_for_a_server_on_any_local_port() {
    let app = crate::helpers::spawn_app_with(|config| config.any_loopback_resource = true).await;
    for resource in [
        "http://127.0.0.1:9999/mcp",
        "http://localhost:3001",
        "https://[::1]:8443/api/",
    ] {
        let response = app.service_token_for(resource).await;
        assert_eq!(response.status(), StatusCode::OK, "{resource}");
        let tokens: TokenResponse = response.json().await.expect("tokens");
        assert_eq!(claims_of(tokens.access_token.secret())["aud"], resource);
    }
}

#[tokio::test]
async fn an_unknown_loopback_resource_is_invalid_target_without_the_switch() {
    let app = spawn_app().await;
    let (status, error) = error_of(app.service_token_for("http://127.0.0.1:9999/mcp").await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_target")
    );
}

#[tokio::test]
async fn even_with_the_switch_a_resource_off_this_machine_or_with_a_fragment_is_invalid_target() {
    let app = crate::helpers::spawn_app_with(|config| config.any_loopback_resource = true).await;
    for resource in [
        "https://api.example/mcp",
        "http://127.0.0.1.evil.example/mcp",
        "http://10.0.0.1:9999/mcp",
        "http://127.0.0.1:9999/mcp#part",
        "http://user:pass@127.0.0.1:9999/mcp",
        "http://127.0.0.1:9999/a/../mcp",
        "ftp://127.0.0.1/mcp",
        "/mcp",
    ] {
        let (status, error) = error_of(app.service_token_for(resource).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_target"),
            "{resource}"
        );
    }
}
