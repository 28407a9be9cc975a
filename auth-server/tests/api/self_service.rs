//! Sign-up and the clients pages.

use reqwest::StatusCode;
use shared::CodeVerifier;

use crate::helpers::{
    Browser, assert_secret_authenticates, clients_session, hidden, location, redirect_params,
    shown_after, spawn_app,
};

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

#[tokio::test]
async fn a_user_registers_edits_and_deletes_a_client_on_the_clients_pages() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let csrf = clients_session(&mut browser, "bob", "secret456").await;
    let created = browser
        .post(
            "/clients",
            &[
                ("csrf_token", &csrf),
                ("name", "Bobs app"),
                ("kind", "confidential"),
                ("redirect_uris", "https://bob.example/cb"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let text = created.text().await.expect("page");
    let client_id = shown_after(&text, "Client id: ");
    let secret = shown_after(&text, "Client secret: ");

    // The secret shown once authenticates the client (which acts for users: it has no
    // client_credentials grant).
    assert_secret_authenticates(&app, &client_id, &secret).await;

    let list = browser.get("/clients").await.text().await.expect("page");
    assert!(list.contains("Bobs app"), "{list}");
    assert!(!list.contains(&secret), "the secret is never shown again");

    let saved = browser
        .post(
            &format!("/clients/{client_id}"),
            &[
                ("csrf_token", &csrf),
                ("name", "Renamed"),
                ("redirect_uris", "http://localhost:3000/cb"),
                ("scope", "read write"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(
        browser
            .get("/clients")
            .await
            .text()
            .await
            .expect("page")
            .contains("Renamed")
    );

    let deleted = browser
        .post(
            &format!("/clients/{client_id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert!(
        !browser
            .get("/clients")
            .await
            .text()
            .await
            .expect("page")
            .contains("Renamed")
    );
}

#[tokio::test]
async fn the_clients_page_refuses_an_http_redirect_uri_on_another_host() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let csrf = clients_session(&mut browser, "bob", "secret456").await;
    let response = browser
        .post(
            "/clients",
            &[
                ("csrf_token", &csrf),
                ("name", "Bad"),
                ("kind", "public"),
                ("redirect_uris", "http://evil.example/cb"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.expect("page").contains("loopback"));
}

#[tokio::test]
async fn a_user_cannot_edit_or_delete_another_users_client() {
    let app = spawn_app().await;
    let mut bob = app.browser();
    let bob_csrf = clients_session(&mut bob, "bob", "secret456").await;
    let created = bob
        .post(
            "/clients",
            &[
                ("csrf_token", &bob_csrf),
                ("name", "Bob's"),
                ("kind", "public"),
                ("redirect_uris", "https://bob.example/cb"),
            ],
        )
        .await
        .text()
        .await
        .expect("page");
    let client_id = shown_after(&created, "Client id: ");

    let mut carol = app.browser();
    let carol_csrf = clients_session(&mut carol, "carol", "mypass789").await;
    assert_eq!(
        carol.get(&format!("/clients/{client_id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let delete = carol
        .post(
            &format!("/clients/{client_id}/delete"),
            &[("csrf_token", &carol_csrf)],
        )
        .await;
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_clients_form_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    clients_session(&mut browser, "bob", "secret456").await;
    let response = browser
        .post("/clients", &[("name", "x"), ("kind", "public")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
