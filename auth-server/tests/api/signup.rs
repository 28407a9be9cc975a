//! Signing up: an account made during an authorization continues to consent; a rejected
//! username or password is explained.

use reqwest::StatusCode;
use shared::CodeVerifier;

use crate::helpers::{Browser, hidden, location, redirect_params, spawn_app};

/// Signs up `username` from the sign-up page; returns the response to the form.
async fn sign_up(
    browser: &mut Browser<'_>,
    request_id: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = browser
        .get(&format!("/signup?request_id={request_id}"))
        .await
        .text()
        .await
        .expect("page");
    browser
        .post(
            "/signup",
            &[
                ("request_id", request_id),
                ("csrf_token", &hidden(&page, "csrf_token")),
                ("username", username),
                ("password", password),
            ],
        )
        .await
}

#[tokio::test]
async fn signing_up_during_an_authorization_continues_to_consent_and_the_new_account_can_log_in() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let login = browser
        .authorize(&CodeVerifier::generate(), &[("scope", Some("read"))])
        .await
        .text()
        .await
        .expect("page");
    let request_id = hidden(&login, "request_id");
    let response = sign_up(&mut browser, &request_id, "dave", "correct-horse-7").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/consent?request_id={request_id}")
    );

    let mut other = app.browser();
    let html = other
        .authorize(&CodeVerifier::generate(), &[("scope", Some("read"))])
        .await
        .text()
        .await
        .expect("page");
    let back = other
        .log_in_and_decide(&html, "dave", "correct-horse-7", "approve")
        .await;
    assert!(redirect_params(&back).contains_key("code"));
}

#[tokio::test]
async fn sign_up_explains_a_rejected_username_or_password() {
    let app = spawn_app().await;
    for (username, password, explanation) in [
        ("Da", "correct-horse-7", "3 to 32 characters"),
        ("erin", "short1", "at least 10 characters"),
        ("erin", "onlyletters", "one letter and one digit"),
        ("erin", "erin12345678", "must not contain the username"),
        ("alice", "correct-horse-7", "taken"),
    ] {
        let response = sign_up(&mut app.browser(), "", username, password).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{username} / {password}"
        );
        assert!(
            response.text().await.expect("page").contains(explanation),
            "{explanation}"
        );
    }
}
