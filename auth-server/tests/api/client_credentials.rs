//! `grant_type=client_credentials` (RFC 6749 §4.4): which clients may use it, how they
//! authenticate, and the scope they get.

use reqwest::StatusCode;
use shared::TokenResponse;

use crate::helpers::{CLIENT_ID, error_of, spawn_app};

#[tokio::test]
async fn client_credentials_with_basic_authentication_issue_a_token_whose_subject_is_the_client() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("service-client", Some("service-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.expect("tokens");
    assert!(tokens.refresh_token.is_none());
    let about = app.introspect(tokens.access_token.secret()).await;
    assert_eq!(about["active"], true);
    assert_eq!(about["sub"], "service-client");
    assert_eq!(about["scope"], "read");
}

#[tokio::test]
async fn a_client_credentials_token_writes_no_grant_and_its_revocation_holds_at_once() {
    let app = spawn_app().await;
    let grants = || async {
        let db = app.db().await;
        let count: i64 =
            server_kit::with_db!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM grants")
            .fetch_one(pool)
            .await)
            .expect("counted");
        count
    };
    let before = grants().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "service-client"),
        ("client_secret", "service-secret"),
    ];
    let tokens: TokenResponse = app.token(&form).await.json().await.expect("tokens");
    assert_eq!(
        grants().await,
        before,
        "no grant row for a client's own token"
    );
    let token = tokens.access_token.secret();
    assert_eq!(app.introspect(token).await["active"], true);
    let revoked = app
        .http
        .post(app.url("/revoke"))
        .form(&[
            ("token", token),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(app.introspect(token).await["active"], false);
}

#[tokio::test]
async fn client_credentials_with_the_secret_in_the_form_work_too() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_public_client_may_not_use_client_credentials() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "unauthorized_client".into())
    );
}

#[tokio::test]
async fn client_credentials_beyond_the_clients_scopes_are_invalid_scope() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
            ("scope", "admin"),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_scope".into())
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_401_invalid_client_with_a_basic_challenge() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("service-client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    assert!(
        response
            .headers()
            .get("www-authenticate")
            .is_some_and(|v| v.to_str().expect("ascii").starts_with("Basic"))
    );
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".into())
    );
}
