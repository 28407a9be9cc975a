//! The clients pages: a user registers, edits and deletes their own clients, and no one
//! else's.

use reqwest::StatusCode;

use crate::helpers::{assert_secret_authenticates, clients_session, shown_after, spawn_app};

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
