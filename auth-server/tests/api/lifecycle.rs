//! After the code exchange: refresh rotation, client credentials, revocation, introspection.

use reqwest::StatusCode;
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{CLIENT_ID, TestApp, error_of, obtain_code, spawn_app, spawn_app_with};

async fn alice_tokens(app: &TestApp, scope: &str) -> TokenResponse {
    app.tokens_for("alice", "password123", scope).await
}

fn refresh_of(tokens: &TokenResponse) -> String {
    tokens
        .refresh_token
        .as_ref()
        .expect("a refresh token")
        .secret()
        .to_owned()
}

async fn refresh(app: &TestApp, refresh_token: &str, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", CLIENT_ID),
    ];
    form.extend(scope.map(|s| ("scope", s)));
    app.token(&form).await
}

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

#[tokio::test]
async fn introspecting_a_refresh_token_gives_no_token_type() {
    let app = spawn_app().await;
    let tokens = alice_tokens(&app, "read").await;
    let answer = app.introspect(&refresh_of(&tokens)).await;
    assert_eq!(answer["active"], true);
    assert!(answer.get("token_type").is_none(), "{answer}");
}
