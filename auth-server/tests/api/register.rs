//! Dynamic client registration (RFC 7591).

use reqwest::StatusCode;
use shared::CodeVerifier;

use crate::helpers::{assert_secret_authenticates, error_of, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_public_client_with_a_loopback_redirect_uri_is_registered_and_must_use_pkce() {
    let app = spawn_app().await;
    let response = app
        .register(serde_json::json!({
            "client_name": "My CLI",
            "redirect_uris": ["http://127.0.0.1:9876/callback"],
            "token_endpoint_auth_method": "none",
            "scope": "openid read",
        }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let client: serde_json::Value = response.json().await.expect("JSON");
    let client_id = client["client_id"]
        .as_str()
        .expect("a client id")
        .to_owned();
    assert!(
        client.get("client_secret").is_none(),
        "a public client gets no secret"
    );

    // The new client goes through /authorize like any other, PKCE included. (Registered
    // by anyone, its errors are a page with a link back, not an automatic redirect.)
    let query = format!(
        "/authorize?response_type=code&client_id={client_id}&redirect_uri=http://127.0.0.1:9876/callback&scope=read&state=s"
    );
    let response = app.browser().get(&query).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("href=\"http://127.0.0.1:9876/callback?error=invalid_request"),
        "{page}"
    );

    let verifier = CodeVerifier::generate();
    let query = format!(
        "{query}&code_challenge={}&code_challenge_method=S256",
        verifier.challenge().as_str()
    );
    assert_eq!(
        app.browser().get(&query).await.status(),
        StatusCode::OK,
        "the login page"
    );
}

#[tokio::test]
async fn a_confidential_client_gets_a_secret_that_authenticates_it_at_the_token_endpoint() {
    let app = spawn_app().await;
    let response = app.register(serde_json::json!({"token_endpoint_auth_method": "client_secret_basic", "redirect_uris": ["https://app.example/cb"], "scope": "read"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let client: serde_json::Value = response.json().await.expect("JSON");
    assert_secret_authenticates(
        &app,
        client["client_id"].as_str().expect("id"),
        client["client_secret"].as_str().expect("a secret"),
    )
    .await;
}

#[tokio::test]
async fn an_http_redirect_uri_on_another_host_is_invalid_redirect_uri() {
    let app = spawn_app().await;
    let response = app.register(serde_json::json!({"redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"})).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_redirect_uri".into())
    );
}

#[tokio::test]
async fn a_redirect_uri_with_a_fragment_is_invalid_redirect_uri() {
    let app = spawn_app().await;
    let response =
        app.register(serde_json::json!({"redirect_uris": ["https://app.example/cb#frag"], "token_endpoint_auth_method": "none"})).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_redirect_uri".into())
    );
}

#[tokio::test]
async fn the_implicit_grant_cannot_be_registered() {
    let app = spawn_app().await;
    let response = app.register(serde_json::json!({"redirect_uris": ["https://app.example/cb"], "grant_types": ["implicit"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_client_metadata".into())
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_invalid_client_metadata() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/register"))
        .body("redirect_uris=x")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_client_metadata".into())
    );
}

#[tokio::test]
async fn registration_can_be_turned_off() {
    let app = spawn_app_with(|c| c.dynamic_registration = false).await;
    let response = app
        .register(serde_json::json!({"redirect_uris": ["https://app.example/cb"]}))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_registration_without_application_type_is_a_web_client_and_says_so() {
    let app = spawn_app().await;
    let registered = app
        .registered(serde_json::json!({
            "redirect_uris": ["https://app.example/callback"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    assert_eq!(registered["application_type"], "web");
}

#[tokio::test]
async fn a_native_client_with_a_loopback_http_redirect_uri_is_registered_as_native() {
    let app = spawn_app().await;
    let registered = app
        .registered(serde_json::json!({
            "redirect_uris": ["http://127.0.0.1/callback", "http://[::1]:7000/cb"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
        }))
        .await;
    assert_eq!(registered["application_type"], "native");
}

#[tokio::test]
async fn a_native_client_with_an_https_redirect_uri_is_invalid_redirect_uri() {
    let app = spawn_app().await;
    let (status, error) = error_of(
        app.register(serde_json::json!({
            "redirect_uris": ["http://127.0.0.1/callback", "https://app.example/callback"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
        }))
        .await,
    )
    .await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_redirect_uri")
    );
}

#[tokio::test]
async fn an_unknown_application_type_is_invalid_client_metadata() {
    let app = spawn_app().await;
    let (status, error) = error_of(
        app.register(serde_json::json!({
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none",
            "application_type": "desktop",
        }))
        .await,
    )
    .await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_client_metadata")
    );
}
