use jsonwebtoken::{Algorithm, Validation};
use reqwest::StatusCode;
use server_kit::with_db;
use shared::{AccessTokenClaims, CodeVerifier, TokenResponse};

use crate::helpers::{
    CLIENT_ID, REDIRECT_URI, TestApp, assert_one_winner, error_of, obtain_code, outcome, spawn_app,
    spawn_app_with,
};

/// Verifies an access token against the server's published JWKS, as a resource server would.
async fn verify_with_jwks(app: &TestApp, token: &str) -> AccessTokenClaims {
    let header = jsonwebtoken::decode_header(token).expect("a JWT header");
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, Algorithm::EdDSA);
    let key = app.key_for(token).await;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[&app.issuer]);
    validation.set_audience(&["http://localhost:8082"]);
    jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation)
        .expect("the signature and claims verify")
        .claims
}

#[tokio::test]
async fn the_code_and_its_verifier_buy_a_jwt_access_token_that_verifies_against_the_jwks() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "openid read write", &verifier).await;
    let response = app.redeem(&code, verifier.secret()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().expect("ascii")),
        Some("no-store")
    );
    let tokens: TokenResponse = response
        .json()
        .await
        .expect("the shared token response type");
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.expires_in, 300);
    assert_eq!(
        tokens.scope.as_ref().map(ToString::to_string).as_deref(),
        Some("openid read write")
    );

    let claims = verify_with_jwks(&app, tokens.access_token.secret()).await;
    assert_eq!(claims.iss, app.issuer);
    assert!(claims.aud.contains("http://localhost:8082"));
    assert_eq!(claims.client_id, CLIENT_ID);
    assert_eq!(claims.scope.to_string(), "openid read write");
    assert_eq!(claims.exp - claims.iat, 300);
    assert!(
        !claims.sub.is_empty() && claims.sub != "alice",
        "sub is a stable id, not the username"
    );
    assert!(claims.jti.len() >= 43);
}

#[tokio::test]
async fn bob_asking_for_admin_gets_a_token_without_it_and_the_response_says_so() {
    let app = spawn_app().await;
    let tokens = app.tokens_for("bob", "secret456", "read write admin").await;
    assert_eq!(
        tokens.scope.as_ref().map(ToString::to_string).as_deref(),
        Some("read write")
    );
    let claims = verify_with_jwks(&app, tokens.access_token.secret()).await;
    assert!(!claims.scope.contains("admin"));
}

#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let other = CodeVerifier::generate();
    assert_eq!(
        error_of(app.redeem(&code, other.secret()).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn a_missing_code_verifier_is_invalid_grant() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn a_code_redeemed_twice_is_refused_and_the_tokens_issued_from_it_are_revoked() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let first: TokenResponse = app.redeemed(&code, &verifier).await;
    let second = app.redeem(&code, verifier.secret()).await;
    assert_eq!(
        error_of(second).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );

    let claims = verify_with_jwks(&app, first.access_token.secret()).await;
    let db = app.db().await;
    let revoked: Option<i64> = with_db!(&db, pool => sqlx::query_scalar("SELECT revoked_at FROM access_tokens WHERE jti = $1")
            .bind(&claims.jti)
            .fetch_one(pool)
            .await)
            .expect("the token is recorded");
    assert!(
        revoked.is_some(),
        "the access token from the first redemption is revoked"
    );
    let live_refresh: i64 = with_db!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL")
            .fetch_one(pool)
            .await)
            .expect("count");
    assert_eq!(
        live_refresh, 0,
        "the refresh token from the first redemption is revoked"
    );
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let app = spawn_app_with(|config| config.code_ttl = 0).await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    assert_eq!(
        error_of(app.redeem(&code, verifier.secret()).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn a_code_issued_to_another_client_is_invalid_grant() {
    let app = spawn_app().await;
    with_db!(&app.db().await, pool => sqlx::query(
        r#"INSERT INTO clients (client_id, name, redirect_uris, allowed_scopes, created_at)
         VALUES ('other-client', 'Other', '["http://localhost:8080/callback"]', 'read', 0)"#,
    )
    .execute(pool)
    .await
    .map(drop))
    .expect("second client");
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", "other-client"),
            ("code_verifier", verifier.secret()),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn a_redirect_uri_different_from_the_authorization_request_is_invalid_grant() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8080/callback"),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier.secret()),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn an_unknown_code_is_invalid_grant() {
    let app = spawn_app().await;
    let response = app
        .redeem("made-up-code", CodeVerifier::generate().secret())
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn an_unknown_client_at_the_token_endpoint_is_invalid_client_with_401() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", "nobody"),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".into())
    );
}

#[tokio::test]
async fn the_password_grant_is_unsupported_grant_type() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "password123"),
            ("client_id", CLIENT_ID),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "unsupported_grant_type".into())
    );
}

#[tokio::test]
async fn a_missing_grant_type_is_invalid_request() {
    let app = spawn_app().await;
    let response = app.token(&[("client_id", CLIENT_ID)]).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
}

#[tokio::test]
async fn a_repeated_token_parameter_is_invalid_request() {
    let app = spawn_app().await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "a"),
            ("code", "b"),
            ("client_id", CLIENT_ID),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
}

#[tokio::test]
async fn a_json_body_at_the_token_endpoint_is_invalid_request() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/token"))
        .json(&serde_json::json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
}

#[tokio::test]
async fn of_fifty_concurrent_redemptions_of_one_code_exactly_one_gets_tokens() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let attempts =
        (0..50).map(|_| async { outcome(app.redeem(&code, verifier.secret()).await).await });
    let answers = futures::future::join_all(attempts).await;
    assert_eq!(answers.len(), 50);
    assert_one_winner(&answers);
}

#[tokio::test]
async fn a_stored_code_that_does_not_read_back_is_the_servers_failure_not_invalid_grant() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let db = app.db().await;
    with_db!(&db, pool => sqlx::query("UPDATE authorization_codes SET code_challenge = 'not a challenge'")
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .expect("corrupt the stored challenge");
    let answer = app.redeem(&code, verifier.secret()).await;
    assert_eq!(
        error_of(answer).await,
        (StatusCode::INTERNAL_SERVER_ERROR, "server_error".into()),
        "the client did nothing wrong: the answer must not blame its code or verifier"
    );
}
