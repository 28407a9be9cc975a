//! `POST /revoke` (RFC 7009): what a revocation ends, and that the answer never tells
//! whether a token existed.

use reqwest::StatusCode;

use crate::helpers::{CLIENT_ID, alice_tokens, refresh_of, spawn_app};

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_tokens_as_introspection_shows() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read").await;
    assert_eq!(
        app.introspect(tokens.access_token.secret()).await["active"],
        true
    );
    let response = app
        .http
        .post(app.url("/revoke"))
        .form(&[
            ("token", refresh_of(&tokens).as_str()),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.introspect(&refresh_of(&tokens)).await["active"], false);
    assert_eq!(
        app.introspect(tokens.access_token.secret()).await["active"],
        false
    );
}

#[tokio::test]
async fn revoking_an_access_token_makes_it_inactive() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read").await;
    let form = [
        ("token", tokens.access_token.secret()),
        ("token_type_hint", "access_token"),
        ("client_id", CLIENT_ID),
    ];
    assert_eq!(
        app.http
            .post(app.url("/revoke"))
            .form(&form)
            .send()
            .await
            .expect("sent")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.introspect(tokens.access_token.secret()).await["active"],
        false
    );
}

#[tokio::test]
async fn revoking_an_unknown_token_answers_200() {
    let app = spawn_app().await;
    let form = [("token", "no-such-token"), ("client_id", CLIENT_ID)];
    assert_eq!(
        app.http
            .post(app.url("/revoke"))
            .form(&form)
            .send()
            .await
            .expect("sent")
            .status(),
        StatusCode::OK
    );
}
