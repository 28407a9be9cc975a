//! Remembered consent: an approval stands for later requests of the same client that ask
//! for no more, so `prompt=none` can answer with a code; only for clients whose identity can
//! be assured (RFC 8252 §8.6); withdrawn on the clients page, which revokes every grant the
//! user gave the client.

use reqwest::StatusCode;
use serde_json::json;
use shared::CodeVerifier;

use crate::helpers::{TestApp, hidden, location, redirect_params, spawn_app};

/// A logged-in browser's `/authorize` for the demo client with `changes`, and, if it goes to
/// the consent step, that step's answer: the consent page (200) or the redirect back (302).
async fn consent_step(
    browser: &mut crate::helpers::Browser<'_>,
    verifier: &CodeVerifier,
    changes: &[(&str, Option<&str>)],
) -> reqwest::Response {
    let authorize = browser.authorize(verifier, changes).await;
    assert_eq!(
        authorize.status(),
        StatusCode::SEE_OTHER,
        "to the consent step"
    );
    browser.get(&location(&authorize)).await
}

#[tokio::test]
async fn an_approval_is_remembered_for_a_client_the_operator_configured() {
    let app = spawn_app().await;
    // `logged_in` approved `openid read write` for the demo client.
    let mut browser = app.logged_in("alice", "password123").await;
    let verifier = CodeVerifier::generate();
    let back = consent_step(&mut browser, &verifier, &[("scope", Some("openid read"))]).await;
    let code = redirect_params(&back)["code"].clone();
    app.redeemed(&code, &verifier).await;
}

#[tokio::test]
async fn asking_for_more_than_was_approved_shows_the_consent_page_again() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let page = consent_step(
        &mut browser,
        &CodeVerifier::generate(),
        &[("scope", Some("openid read write profile"))],
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("a page")
            .contains("value=\"approve\"")
    );
}

#[tokio::test]
async fn prompt_consent_asks_even_when_the_approval_is_remembered() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let page = consent_step(
        &mut browser,
        &CodeVerifier::generate(),
        &[("scope", Some("read")), ("prompt", Some("consent"))],
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn prompt_none_with_a_session_and_a_remembered_approval_answers_with_a_code_at_once() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let verifier = CodeVerifier::generate();
    let back = browser
        .authorize(
            &verifier,
            &[("prompt", Some("none")), ("scope", Some("openid read"))],
        )
        .await;
    let params = redirect_params(&back);
    assert_eq!(params["state"], "state-123");
    assert_eq!(params["iss"], app.issuer);
    let tokens = app.redeemed(&params["code"], &verifier).await;
    assert_eq!(tokens.scope.expect("a scope").to_string(), "openid read");
}

#[tokio::test]
async fn a_self_registered_public_client_is_asked_every_time() {
    let app = spawn_app().await;
    let registered = app
        .registered(json!({
            "client_name": "A native app",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    let client_id = registered["client_id"].as_str().expect("a client_id");
    let changes = [
        ("client_id", Some(client_id)),
        ("redirect_uri", Some("http://127.0.0.1:4000/callback")),
        ("scope", Some("read")),
    ];
    let mut browser = app.logged_in("alice", "password123").await;
    let back = browser
        .approve_request(&CodeVerifier::generate(), &changes)
        .await;
    assert_eq!(back.status(), StatusCode::FOUND, "approved once");
    for _ in 0..2 {
        let page = consent_step(&mut browser, &CodeVerifier::generate(), &changes).await;
        assert_eq!(page.status(), StatusCode::OK, "asked again");
        let html = page.text().await.expect("the consent page");
        assert!(html.contains("asked every time"), "{html}");
    }
}

/// The clients page of a logged-in browser.
async fn clients_page(browser: &mut crate::helpers::Browser<'_>) -> String {
    let page = browser.get("/clients").await;
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.expect("the clients page")
}

#[tokio::test]
async fn withdrawing_an_approval_revokes_its_tokens_and_the_next_request_asks_again() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let verifier = CodeVerifier::generate();
    let code = browser.approve(&verifier, "openid read").await;
    let tokens = app.redeemed(&code, &verifier).await;
    assert_eq!(
        app.introspect(tokens.access_token.secret()).await["active"],
        true
    );

    let html = clients_page(&mut browser).await;
    assert!(html.contains("Applications you allowed"), "{html}");
    assert!(html.contains("demo-client"), "{html}");
    let withdrawn = browser
        .post(
            "/consents/withdraw",
            &[
                ("csrf_token", &hidden(&html, "csrf_token")),
                ("client_id", "demo-client"),
            ],
        )
        .await;
    assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&withdrawn), "/clients");

    assert_eq!(
        app.introspect(tokens.access_token.secret()).await["active"],
        false
    );
    let refresh = app
        .refresh(tokens.refresh_token.expect("a refresh token").secret())
        .await;
    assert_eq!(
        crate::helpers::error_of(refresh).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".to_owned())
    );
    let page = consent_step(
        &mut browser,
        &CodeVerifier::generate(),
        &[("scope", Some("read"))],
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK, "asked again");
    assert!(!clients_page(&mut browser).await.contains("Withdraw"));
}

#[tokio::test]
async fn withdrawing_needs_the_session_s_csrf_token_and_a_consent_that_exists() {
    let app: TestApp = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let forged = browser
        .post(
            "/consents/withdraw",
            &[("csrf_token", "forged"), ("client_id", "demo-client")],
        )
        .await;
    assert!(forged.status().is_client_error(), "{}", forged.status());
    assert!(
        clients_page(&mut browser).await.contains("Withdraw"),
        "still allowed"
    );

    let html = clients_page(&mut browser).await;
    let unknown = browser
        .post(
            "/consents/withdraw",
            &[
                ("csrf_token", &hidden(&html, "csrf_token")),
                ("client_id", "never-allowed"),
            ],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
