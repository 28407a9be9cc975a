//! Loopback redirect URIs (OAuth 2.1 §8.4.2, RFC 8252 §7.3): a native app registers itself
//! with `http://127.0.0.1/callback` and listens on whatever port the system gives it at each
//! run, so any port matches; nothing else about the URI may differ, no other host gets this,
//! and neither does a client the operator configured (`authorize.rs`).

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;
use shared::CodeVerifier;

use crate::helpers::{TestApp, code_sent_to, error_of, spawn_app};

/// A public client registered with one URI of each kind; returns its `client_id`.
async fn native_client(app: &TestApp) -> String {
    let registered = app
        .registered(json!({
            "client_name": "A native app",
            "redirect_uris": [
                "http://127.0.0.1/callback",
                "http://[::1]:7000/callback",
                "http://localhost:3000/callback",
                "https://app.example:8443/callback",
            ],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    registered["client_id"]
        .as_str()
        .expect("a client_id")
        .to_owned()
}

/// The status of `/authorize` for the client with `redirect_uri`: the login page (200) if
/// the URI matches, the error page that never redirects (400) if not.
async fn authorize_status(app: &TestApp, client_id: &str, redirect_uri: &str) -> StatusCode {
    let response = app
        .browser()
        .authorize(
            &CodeVerifier::generate(),
            &[
                ("client_id", Some(client_id)),
                ("redirect_uri", Some(redirect_uri)),
                ("scope", Some("read")),
            ],
        )
        .await;
    if response.status() == StatusCode::BAD_REQUEST {
        assert!(
            response.headers().get(LOCATION).is_none(),
            "never a redirect"
        );
    }
    response.status()
}

#[tokio::test]
async fn a_loopback_redirect_uri_matches_on_any_port() {
    let app = spawn_app().await;
    let client = native_client(&app).await;
    for uri in [
        "http://127.0.0.1:51234/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:40000/callback",
        "http://[::1]/callback",
        "http://localhost:61000/callback",
    ] {
        assert_eq!(
            authorize_status(&app, &client, uri).await,
            StatusCode::OK,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn a_loopback_redirect_uri_with_another_host_path_query_or_scheme_is_refused() {
    let app = spawn_app().await;
    let client = native_client(&app).await;
    for uri in [
        "http://localhost:51234/callback2",
        "http://127.0.0.1:51234/callback/",
        "http://127.0.0.1:51234/callback?next=/admin",
        "http://127.0.0.1:51234/callback#fragment",
        "http://127.0.0.1:51234/other/../callback",
        "https://127.0.0.1:51234/callback",
        "http://user@127.0.0.1:51234/callback",
        // The host as registered: 127.0.0.1 is not localhost, nor ::1.
        "http://localhost:51234/other",
        "http://127.0.0.2:51234/callback",
        "http://127.0.0.1.evil.example:51234/callback",
    ] {
        assert_eq!(
            authorize_status(&app, &client, uri).await,
            StatusCode::BAD_REQUEST,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn a_non_loopback_redirect_uri_never_matches_on_another_port() {
    let app = spawn_app().await;
    let client = native_client(&app).await;
    assert_eq!(
        authorize_status(&app, &client, "https://app.example:8443/callback").await,
        StatusCode::OK
    );
    for uri in [
        "https://app.example:9443/callback",
        "https://app.example/callback",
        "http://app.example:8443/callback",
    ] {
        assert_eq!(
            authorize_status(&app, &client, uri).await,
            StatusCode::BAD_REQUEST,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn a_code_sent_to_a_loopback_port_is_redeemed_with_that_same_uri_only() {
    let app = spawn_app().await;
    let client = native_client(&app).await;
    let used = "http://127.0.0.1:51234/callback";
    let verifier = CodeVerifier::generate();
    let mut browser = app.logged_in("alice", "password123").await;
    let back = browser
        .approve_request(
            &verifier,
            &[
                ("client_id", Some(&client)),
                ("redirect_uri", Some(used)),
                ("scope", Some("read")),
            ],
        )
        .await;
    let code = code_sent_to(&back, used);

    // RFC 6749 §4.1.3: the token request repeats the URI of the authorization request,
    // identically; the registered one (without the port) is not it.
    let redeem = |redirect_uri: &'static str| {
        let (client, code, verifier) = (client.clone(), code.clone(), verifier.secret().to_owned());
        let app = &app;
        async move {
            app.token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect_uri),
                ("client_id", &client),
                ("code_verifier", &verifier),
            ])
            .await
        }
    };
    let (status, error) = error_of(redeem("http://127.0.0.1/callback").await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    assert_eq!(redeem(used).await.status(), StatusCode::OK);
}
