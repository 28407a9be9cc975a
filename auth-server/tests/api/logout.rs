//! Logout (OpenID Connect RP-Initiated Logout): when it ends the session at once, when it asks,
//! and where it may send the browser back to.

use reqwest::StatusCode;
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{Browser, TestApp, hidden, location, redirect_params, spawn_app};

#[tokio::test]
async fn a_logout_link_without_an_id_token_hint_asks_for_confirmation_and_ends_nothing() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let page = browser.get("/logout").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("page");
    assert!(
        html.contains("Log out?") && html.contains("name=\"csrf_token\""),
        "{html}"
    );
    assert_eq!(
        browser
            .authorize(&CodeVerifier::generate(), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "still logged in"
    );
}

#[tokio::test]
async fn confirming_the_logout_ends_the_session_so_the_next_authorization_asks_for_login_again() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let html = browser.get("/logout").await.text().await.expect("page");
    let logout = browser
        .post("/logout", &[("csrf_token", &hidden(&html, "csrf_token"))])
        .await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert!(logout.text().await.expect("page").contains("Logged out"));
    let again = browser.authorize(&CodeVerifier::generate(), &[]).await;
    assert_eq!(again.status(), StatusCode::OK, "the login page again");
    assert!(
        again
            .text()
            .await
            .expect("page")
            .contains("name=\"password\"")
    );
}

/// alice logs in in `browser` and the demo client redeems the code: her ID token.
async fn alices_id_token(app: &TestApp, browser: &mut Browser<'_>) -> String {
    let verifier = CodeVerifier::generate();
    let html = browser
        .authorize(&verifier, &[])
        .await
        .text()
        .await
        .expect("page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "approve")
        .await;
    let code = redirect_params(&back).get("code").cloned().expect("a code");
    let tokens: TokenResponse = app.redeemed(&code, &verifier).await;
    tokens.id_token.expect("an ID token")
}

#[tokio::test]
async fn a_logout_with_the_users_id_token_hint_ends_the_session_at_once() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let id_token = alices_id_token(&app, &mut browser).await;
    let logout = browser
        .get(&format!(
            "/logout?client_id=demo-client&post_logout_redirect_uri=http://localhost:8080/&id_token_hint={id_token}"
        ))
        .await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&logout), "http://localhost:8080/");
    assert_eq!(
        browser
            .authorize(&CodeVerifier::generate(), &[])
            .await
            .status(),
        StatusCode::OK,
        "logged out: the login page"
    );
}

#[tokio::test]
async fn an_id_token_hint_ends_the_session_at_once_only_for_the_client_named_and_this_login() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let id_token = alices_id_token(&app, &mut browser).await;
    for link in [
        // No client named: any client that ever received the user's ID token could send it.
        format!("/logout?id_token_hint={id_token}"),
        // Another client named than the token's audience.
        format!("/logout?client_id=service-client&id_token_hint={id_token}"),
    ] {
        let page = browser.get(&link).await;
        assert_eq!(page.status(), StatusCode::OK, "{link}");
        let html = page.text().await.expect("page");
        assert!(html.contains("csrf_token"), "the user is asked: {link}");
    }
    // The same token after the user logged in again (a new login, in a later second than
    // the one its `auth_time` names): asked too.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let html = browser
        .authorize(&CodeVerifier::generate(), &[("prompt", Some("login"))])
        .await
        .text()
        .await
        .expect("the login page");
    browser.log_in(&html, "alice", "password123").await;
    let page = browser
        .get(&format!(
            "/logout?client_id=demo-client&id_token_hint={id_token}"
        ))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("page").contains("csrf_token"));
}

#[tokio::test]
async fn logout_returns_to_a_registered_post_logout_redirect_uri_with_the_state() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .get("/logout?client_id=demo-client&post_logout_redirect_uri=http://localhost:8080/&state=bye")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "http://localhost:8080/?state=bye");
}

#[tokio::test]
async fn logout_refuses_an_unregistered_post_logout_redirect_uri() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .get("/logout?client_id=demo-client&post_logout_redirect_uri=http://evil.example/")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}
