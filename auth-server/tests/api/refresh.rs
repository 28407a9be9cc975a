//! `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3.1): rotation, reuse detection,
//! scope narrowing, the family's lifetime; and a spent code presented by another client.

use reqwest::StatusCode;
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{
    alice_tokens, error_of, obtain_code, refresh, refresh_of, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn a_refresh_returns_a_new_refresh_token_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let first = alice_tokens(&app, "read write").await;
    let response = refresh(&app, &refresh_of(&first), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: TokenResponse = response.json().await.expect("tokens");
    assert_ne!(refresh_of(&first), refresh_of(&second));
    assert_eq!(app.introspect(&refresh_of(&first)).await["active"], false);
    assert_eq!(app.introspect(&refresh_of(&second)).await["active"], true);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_is_invalid_grant_and_revokes_the_whole_family() {
    let app = spawn_app().await;
    let first = alice_tokens(&app, "read").await;
    let second: TokenResponse = refresh(&app, &refresh_of(&first), None)
        .await
        .json()
        .await
        .expect("tokens");
    let replay = refresh(&app, &refresh_of(&first), None).await;
    assert_eq!(
        error_of(replay).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    // The legitimate holder's newest tokens die with the family.
    assert_eq!(app.introspect(&refresh_of(&second)).await["active"], false);
    assert_eq!(
        app.introspect(second.access_token.secret()).await["active"],
        false
    );
    let newest = refresh(&app, &refresh_of(&second), None).await;
    assert_eq!(
        error_of(newest).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read write").await;
    let narrowed: TokenResponse = refresh(&app, &refresh_of(&tokens), Some("read"))
        .await
        .json()
        .await
        .expect("tokens");
    assert_eq!(
        narrowed.scope.as_ref().map(ToString::to_string).as_deref(),
        Some("read")
    );
    // The new refresh token keeps the original grant: a later refresh may ask for write again.
    let again: TokenResponse = refresh(&app, &refresh_of(&narrowed), Some("read write"))
        .await
        .json()
        .await
        .expect("tokens");
    assert_eq!(
        again.scope.as_ref().map(ToString::to_string).as_deref(),
        Some("read write")
    );
}

#[tokio::test]
async fn a_refresh_may_not_widen_the_scope() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read").await;
    let response = refresh(&app, &refresh_of(&tokens), Some("read admin")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_scope".into())
    );
}

#[tokio::test]
async fn a_refresh_token_is_bound_to_its_client() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read").await;
    // Another client that may refresh its own tokens.
    let other = app
        .registered(serde_json::json!({"token_endpoint_auth_method": "none", "redirect_uris": ["https://other.example/cb"],
                                       "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    let response = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_of(&tokens)),
            ("client_id", other["client_id"].as_str().expect("id")),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn of_two_racing_refreshes_with_one_token_exactly_one_succeeds() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read").await;
    let token = refresh_of(&tokens);
    let (a, b) = tokio::join!(refresh(&app, &token, None), refresh(&app, &token, None));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
}

#[tokio::test]
async fn a_rotated_refresh_token_never_outlives_the_first_one_of_its_family() {
    let app = spawn_app_with(|c| c.refresh_token_ttl = 3).await;
    let tokens = alice_tokens(&app, "openid read").await;
    let first = refresh_of(&tokens);
    let first_exp = app.introspect(&first).await["exp"].as_i64().expect("exp");
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let rotated: TokenResponse = refresh(&app, &first, None)
        .await
        .json()
        .await
        .expect("tokens");
    let second = refresh_of(&rotated);
    let second_exp = app.introspect(&second).await["exp"].as_i64().expect("exp");
    assert_eq!(second_exp, first_exp, "capped at the first token's expiry");
    while server_kit::unix_now() < first_exp {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        error_of(refresh(&app, &second, None).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into()),
        "the family ends when its first token would have"
    );
}

#[tokio::test]
async fn a_spent_code_presented_by_another_client_revokes_nothing() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "bob", "secret456", "openid read", &verifier).await;
    let tokens: TokenResponse = app.redeemed(&code, &verifier).await;
    let other = app
        .registered(serde_json::json!({"token_endpoint_auth_method": "none", "redirect_uris": ["https://a.example/cb"]}))
        .await;
    let replay = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", other["client_id"].as_str().expect("id")),
            ("redirect_uri", "https://a.example/cb"),
            ("code_verifier", &"B".repeat(43)),
        ])
        .await;
    assert_eq!(
        error_of(replay).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        refresh(&app, &refresh_of(&tokens), None).await.status(),
        StatusCode::OK,
        "the victim's grant lives on"
    );
}
