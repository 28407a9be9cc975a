//! `POST /introspect` (RFC 7662): who may ask, and what an active or inactive token
//! answers.

use reqwest::StatusCode;

use crate::helpers::{CLIENT_ID, alice_tokens, error_of, refresh_of, spawn_app};

#[tokio::test]
async fn a_live_access_token_introspects_as_active_with_its_claims() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read write").await;
    let about = app.introspect(tokens.access_token.secret()).await;
    assert_eq!(about["active"], true);
    assert_eq!(about["client_id"], CLIENT_ID);
    assert_eq!(about["scope"], "read write");
    assert_eq!(about["username"], "alice");
    assert_eq!(about["iss"], app.issuer);
}

#[tokio::test]
async fn garbage_introspects_as_inactive_and_nothing_more() {
    let app = spawn_app().await;
    assert_eq!(
        app.introspect("garbage").await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn a_public_client_may_not_introspect() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/introspect"))
        .form(&[("token", "x"), ("client_id", CLIENT_ID)])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".into())
    );
}

#[tokio::test]
async fn a_confidential_client_not_registered_for_introspection_is_refused() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("service-client", Some("service-secret"))
        .form(&[("token", "x")])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "unauthorized_client".into())
    );
}

#[tokio::test]
async fn introspecting_a_refresh_token_gives_no_token_type() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read").await;
    let answer = app.introspect(&refresh_of(&tokens)).await;
    assert_eq!(answer["active"], true);
    assert!(answer.get("token_type").is_none(), "{answer}");
}
