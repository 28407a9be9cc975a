use reqwest::StatusCode;
use shared::CodeVerifier;

use crate::helpers::{hidden, spawn_app};

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_generic_error() {
    let app = spawn_app().await;
    let mut answers = Vec::new();
    for (username, password) in [("alice", "wrong-password"), ("mallory", "password123")] {
        let mut browser = app.browser();
        let html = browser
            .authorize(&CodeVerifier::generate(), &[])
            .await
            .text()
            .await
            .expect("page");
        let response = browser.log_in(&html, username, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let page = response.text().await.expect("page");
        let message = page
            .split("role=\"alert\">")
            .nth(1)
            .expect("an error")
            .split('<')
            .next()
            .expect("text")
            .to_owned();
        answers.push(message);
    }
    assert_eq!(answers[0], "Wrong username or password.");
    assert_eq!(answers[0], answers[1]);
}

#[tokio::test]
async fn a_login_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    let response = browser
        .post(
            "/login",
            &[
                ("request_id", &hidden(&html, "request_id")),
                ("username", "alice"),
                ("password", "password123"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_login_post_with_another_sessions_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut attacker = app.browser();
    let attacker_html = attacker
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    let mut victim = app.browser();
    let victim_html = victim
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    let response = victim
        .post(
            "/login",
            &[
                ("request_id", &hidden(&victim_html, "request_id")),
                ("csrf_token", &hidden(&attacker_html, "csrf_token")),
                ("username", "alice"),
                ("password", "password123"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_login_post_without_a_session_cookie_gets_a_readable_error_page() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", "password123")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("Session expired")
    );
}

#[tokio::test]
async fn logging_in_issues_a_new_session_id() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let first = browser.authorize(&CodeVerifier::generate(), &[]).await;
    let before = first
        .headers()
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    let html = first.text().await.expect("page");
    let login = browser.log_in(&html, "carol", "mypass789").await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let after = login
        .headers()
        .get("set-cookie")
        .expect("a new cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(before.split(';').next(), after.split(';').next());
}
