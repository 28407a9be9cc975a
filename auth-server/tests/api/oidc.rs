//! OpenID Connect: the ID token and the UserInfo endpoint.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Validation};
use reqwest::StatusCode;
use sha2::Digest as _;
use shared::{CodeVerifier, IdTokenClaims, TokenResponse};

use crate::helpers::{
    CLIENT_ID, TestApp, claims_of, hidden, obtain_code, redirect_params, sign_with_stored_key,
    spawn_app, userinfo,
};

async fn tokens_with(app: &TestApp, scope: &str, nonce: Option<&str>) -> TokenResponse {
    let verifier = CodeVerifier::generate();
    let mut browser = app.browser();
    let html = browser
        .authorize(&verifier, &[("scope", Some(scope)), ("nonce", nonce)])
        .await
        .text()
        .await
        .expect("login page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "approve")
        .await;
    let code = redirect_params(&back).get("code").cloned().expect("a code");
    app.redeemed(&code, &verifier).await
}

#[tokio::test]
async fn with_openid_the_token_response_has_an_id_token_for_the_client_with_the_nonce() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "openid read", Some("n-123")).await;
    let id_token = tokens.id_token.expect("an id_token");
    let key = app.key_for(&id_token).await;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[&app.issuer]);
    validation.set_audience(&[CLIENT_ID]);
    let claims = jsonwebtoken::decode::<IdTokenClaims>(&id_token, &key, &validation)
        .expect("verifies")
        .claims;
    assert_eq!(claims.nonce.as_deref(), Some("n-123"));
    assert!(claims.auth_time.is_some());
    assert!(claims.at_hash.is_some_and(|h| h.len() == 43));
}

#[tokio::test]
async fn without_openid_there_is_no_id_token() {
    let app = spawn_app().await;
    assert!(tokens_with(&app, "read", None).await.id_token.is_none());
}

#[tokio::test]
async fn userinfo_answers_the_claims_of_the_granted_scopes() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "openid profile", None).await;
    let body: serde_json::Value = userinfo(&app, tokens.access_token.secret())
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["preferred_username"], "alice");
    assert!(body["name"].is_string());
    assert!(body.get("email").is_none(), "email was not granted");

    let tokens = tokens_with(&app, "openid email", None).await;
    let body: serde_json::Value = userinfo(&app, tokens.access_token.secret())
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["email"], "alice@example.com");
    assert!(body.get("name").is_none(), "profile was not granted");
}

#[tokio::test]
async fn userinfo_without_the_openid_scope_is_403_insufficient_scope() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "read", None).await;
    let response = userinfo(&app, tokens.access_token.secret()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("insufficient_scope")
    );
}

#[tokio::test]
async fn userinfo_with_a_bad_token_is_401_invalid_token() {
    let app = spawn_app().await;
    let response = userinfo(&app, "not-a-token").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("error=\"invalid_token\"")
    );
}

#[tokio::test]
async fn an_access_token_with_openid_is_also_meant_for_the_userinfo_endpoint() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "openid read", None).await;
    let claims = claims_of(tokens.access_token.secret());
    assert_eq!(
        claims["aud"],
        serde_json::json!(["http://localhost:8082", format!("{}/userinfo", app.issuer)])
    );
}

#[tokio::test]
async fn a_token_with_openid_for_another_resource_is_not_meant_for_the_userinfo_endpoint() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let mut browser = app.logged_in("alice", "password123").await;
    let back = browser
        .approve_request(
            &verifier,
            &[
                ("scope", Some("openid read")),
                ("resource", Some("http://localhost:8083")),
            ],
        )
        .await;
    let code = redirect_params(&back)["code"].clone();
    let tokens: TokenResponse = app.redeemed(&code, &verifier).await;
    let claims = claims_of(tokens.access_token.secret());
    assert_eq!(claims["aud"], "http://localhost:8083");
    let response = userinfo(&app, tokens.access_token.secret()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn userinfo_refuses_an_access_token_not_meant_for_it() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "openid email read", None).await;
    let real = tokens.access_token.secret();
    let kid = jsonwebtoken::decode_header(real)
        .expect("a JWT")
        .kid
        .expect("a kid");
    // The same token, its audience only the resource server (as a token for another
    // resource would be): signed with the server's own key.
    let mut claims = claims_of(real);
    claims["aud"] = "http://localhost:8083".into();
    let token = sign_with_stored_key(&app, &kid, "at+jwt", &claims).await;
    let response = userinfo(&app, &token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(challenge.contains("invalid_token"), "{challenge}");
}

#[tokio::test]
async fn userinfo_says_email_verified_only_for_addresses_the_server_verified() {
    let app = spawn_app().await;
    let tokens = tokens_with(&app, "openid email", None).await;
    let alice: serde_json::Value = userinfo(&app, tokens.access_token.secret())
        .await
        .json()
        .await
        .expect("claims");
    assert_eq!(alice["email_verified"], true, "a demo account");

    let mut browser = app.browser();
    let verifier = CodeVerifier::generate();
    let login = browser
        .authorize(&verifier, &[("scope", Some("openid email"))])
        .await
        .text()
        .await
        .expect("login page");
    let page = browser
        .get(&format!(
            "/signup?request_id={}",
            hidden(&login, "request_id")
        ))
        .await
        .text()
        .await
        .expect("signup page");
    let created = browser
        .post(
            "/signup",
            &[
                ("request_id", &hidden(&page, "request_id")),
                ("csrf_token", &hidden(&page, "csrf_token")),
                ("username", "newcomer"),
                ("password", "long-enough-1"),
            ],
        )
        .await;
    let consent = browser
        .get(&crate::helpers::location(&created))
        .await
        .text()
        .await
        .expect("consent page");
    let back = browser
        .post(
            "/consent",
            &[
                ("request_id", &hidden(&consent, "request_id")),
                ("csrf_token", &hidden(&consent, "csrf_token")),
                ("decision", "approve"),
            ],
        )
        .await;
    let code = redirect_params(&back).get("code").cloned().expect("a code");
    let tokens: TokenResponse = app.redeemed(&code, &verifier).await;
    let newcomer: serde_json::Value = userinfo(&app, tokens.access_token.secret())
        .await
        .json()
        .await
        .expect("claims");
    assert_eq!(newcomer["email"], "newcomer@example.com");
    assert_eq!(newcomer["email_verified"], false, "never verified");
}

#[tokio::test]
async fn offline_access_is_never_refused_to_a_client_and_a_refresh_token_comes_as_for_any_code() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(
        &app,
        "alice",
        "password123",
        "read offline_access",
        &verifier,
    )
    .await;
    let response = app.redeem(&code, verifier.secret()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.expect("tokens");
    let scope = tokens.scope.expect("the granted scope");
    assert!(
        scope.contains("offline_access") && scope.contains("read"),
        "{scope}"
    );
    assert!(tokens.refresh_token.is_some());
}

#[tokio::test]
async fn a_self_registered_client_may_register_offline_access() {
    let app = spawn_app().await;
    let registered = app
        .registered(serde_json::json!({
            "client_name": "An MCP client",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none",
            "scope": "openid read offline_access",
        }))
        .await;
    assert_eq!(registered["scope"], "offline_access openid read");
}

/// `/authorize` for the demo client with `changes`, from a browser logged in as alice or
/// from a new one.
async fn authorize_with(
    app: &TestApp,
    logged_in: bool,
    changes: &[(&str, Option<&str>)],
) -> reqwest::Response {
    let verifier = CodeVerifier::generate();
    if logged_in {
        app.logged_in("alice", "password123")
            .await
            .authorize(&verifier, changes)
            .await
    } else {
        app.browser().authorize(&verifier, changes).await
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required_at_once_and_stores_no_session() {
    let app = spawn_app().await;
    let back = authorize_with(&app, false, &[("prompt", Some("none"))]).await;
    let params = redirect_params(&back);
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], "state-123");
    let db = app.db().await;
    let sessions: i64 =
        server_kit::with_db!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(pool)
        .await)
        .expect("counted");
    assert_eq!(sessions, 0, "an answer at once needs no session");
}

#[tokio::test]
async fn prompt_none_with_a_session_but_scopes_never_approved_is_consent_required_at_once() {
    let app = spawn_app().await;
    // The logged-in browser approved `openid read write` for the demo client; not `profile`.
    let back = authorize_with(
        &app,
        true,
        &[("prompt", Some("none")), ("scope", Some("openid profile"))],
    )
    .await;
    assert_eq!(redirect_params(&back)["error"], "consent_required");
}

#[tokio::test]
async fn prompt_login_and_max_age_0_show_the_login_page_even_with_a_session() {
    let app = spawn_app().await;
    for change in [
        ("prompt", Some("login")),
        ("prompt", Some("select_account consent")),
        ("max_age", Some("0")),
    ] {
        let page = authorize_with(&app, true, &[change]).await;
        assert_eq!(page.status(), StatusCode::OK, "{change:?}");
        let html = page.text().await.expect("a page");
        assert!(
            html.contains("name=\"password\""),
            "{change:?}: the login page"
        );
    }
}

#[tokio::test]
async fn a_required_new_login_cannot_be_skipped_by_opening_the_consent_page() {
    let app = spawn_app().await;
    // alice's consent to the demo client is remembered: without the login the consent page
    // would answer with a code at once.
    let mut browser = app.logged_in("alice", "password123").await;
    for change in [
        ("prompt", Some("login")),
        ("prompt", Some("select_account")),
        ("max_age", Some("0")),
    ] {
        let page = browser
            .authorize(&CodeVerifier::generate(), &[change])
            .await;
        let html = page.text().await.expect("the login page");
        let request_id = hidden(&html, "request_id");
        let skipped = browser
            .get(&format!("/consent?request_id={request_id}"))
            .await;
        assert_eq!(skipped.status(), StatusCode::FORBIDDEN, "{change:?}");
        assert!(skipped.headers().get("location").is_none(), "{change:?}");
        let decided = browser
            .post(
                "/consent",
                &[
                    ("request_id", &request_id),
                    ("csrf_token", &hidden(&html, "csrf_token")),
                    ("decision", "approve"),
                ],
            )
            .await;
        assert_eq!(decided.status(), StatusCode::FORBIDDEN, "{change:?}");
    }
}

#[tokio::test]
async fn after_the_required_new_login_consent_goes_on_with_the_new_login() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let verifier = CodeVerifier::generate();
    let page = browser
        .authorize(&verifier, &[("prompt", Some("login"))])
        .await;
    let html = page.text().await.expect("the login page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "approve")
        .await;
    assert!(redirect_params(&back).contains_key("code"));
}

#[tokio::test]
async fn a_login_within_max_age_goes_straight_to_consent() {
    let app = spawn_app().await;
    let response = authorize_with(&app, true, &[("max_age", Some("3600"))]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(crate::helpers::location(&response).starts_with("/consent"));
}

#[tokio::test]
async fn a_malformed_prompt_or_max_age_is_sent_back_as_invalid_request() {
    let app = spawn_app().await;
    for change in [
        ("prompt", Some("none login")),
        ("prompt", Some("bogus")),
        ("max_age", Some("-1")),
        ("max_age", Some("soon")),
    ] {
        let back = authorize_with(&app, false, &[change]).await;
        assert_eq!(
            redirect_params(&back)["error"],
            "invalid_request",
            "{change:?}"
        );
    }
}

#[tokio::test]
async fn after_a_new_login_forced_by_max_age_the_id_token_carries_the_new_auth_time() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let mut browser = app.logged_in("alice", "password123").await;
    let before = server_kit::unix_now();
    let page = browser
        .authorize(&verifier, &[("max_age", Some("0")), ("nonce", Some("n-1"))])
        .await;
    let html = page.text().await.expect("the login page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "approve")
        .await;
    let code = redirect_params(&back)["code"].clone();
    let tokens: TokenResponse = app.redeemed(&code, &verifier).await;
    let id_token = tokens.id_token.expect("an ID token (openid)");
    let claims = claims_of(&id_token);
    assert!(claims["auth_time"].as_i64().expect("auth_time") >= before);
}

#[tokio::test]
async fn login_hint_fills_in_the_username_on_the_login_page_and_stays_text() {
    let app = spawn_app().await;
    let page = authorize_with(&app, false, &[("login_hint", Some("bob"))]).await;
    let html = page.text().await.expect("the login page");
    assert!(html.contains(r#"value="bob""#), "{html}");

    let page = authorize_with(
        &app,
        false,
        &[("login_hint", Some(r#""><script>x()</script>"#))],
    )
    .await;
    let html = page.text().await.expect("the login page");
    assert!(!html.contains("<script>x()"), "escaped: {html}");
}

#[tokio::test]
async fn a_login_hint_longer_than_512_bytes_is_sent_back_as_invalid_request() {
    let app = spawn_app().await;
    let hint = "a".repeat(513);
    let back = authorize_with(&app, false, &[("login_hint", Some(&hint))]).await;
    assert_eq!(redirect_params(&back)["error"], "invalid_request");
}

/// The ID token a public client registered with `metadata` gets for alice: registration,
/// the code flow with PKCE, redemption.
async fn id_token_of_registered_client(app: &TestApp, metadata: serde_json::Value) -> String {
    let (client_id, tokens) = app.loopback_client_tokens(metadata, "openid read").await;
    let tokens: TokenResponse = serde_json::from_value(tokens).expect("tokens");
    let id_token = tokens.id_token.expect("an id_token");
    // OIDC Core §3.1.3.6: at_hash is the left half of the access token's hash, with the
    // hash of the ID token's algorithm.
    let access = tokens.access_token.secret().as_bytes();
    let alg = jsonwebtoken::decode_header(&id_token).expect("a JWT").alg;
    let digest = if alg == Algorithm::EdDSA {
        sha2::Sha512::digest(access).to_vec()
    } else {
        sha2::Sha256::digest(access).to_vec()
    };
    assert_eq!(
        claims_of(&id_token)["at_hash"],
        URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]),
        "{alg:?}"
    );
    let (key, key_alg) = app.published_key_for(&id_token).await;
    assert_eq!(
        alg, key_alg,
        "signed with the algorithm its key is published for"
    );
    let mut validation = Validation::new(key_alg);
    validation.set_issuer(&[&app.issuer]);
    validation.set_audience(&[&client_id]);
    jsonwebtoken::decode::<IdTokenClaims>(&id_token, &key, &validation).expect("verifies");
    id_token
}

#[tokio::test]
async fn a_client_that_names_no_id_token_algorithm_gets_rs256_the_oidc_default() {
    let app = spawn_app().await;
    let id_token = id_token_of_registered_client(&app, serde_json::json!({})).await;
    let header = jsonwebtoken::decode_header(&id_token).expect("a JWT");
    assert_eq!(header.alg, Algorithm::RS256);
}

#[tokio::test]
async fn each_id_token_signed_response_alg_a_client_registers_signs_its_id_tokens() {
    let app = spawn_app().await;
    for (alg, expected) in [
        ("RS256", Algorithm::RS256),
        ("ES256", Algorithm::ES256),
        ("EdDSA", Algorithm::EdDSA),
    ] {
        let metadata = serde_json::json!({ "id_token_signed_response_alg": alg });
        let id_token = id_token_of_registered_client(&app, metadata).await;
        let header = jsonwebtoken::decode_header(&id_token).expect("a JWT");
        assert_eq!(header.alg, expected, "{alg}");
    }
}

#[tokio::test]
async fn registration_refuses_an_id_token_algorithm_the_server_does_not_sign_with() {
    let app = spawn_app().await;
    for alg in ["none", "HS256", "PS256", "rs256"] {
        let response = app
            .register(serde_json::json!({
                "token_endpoint_auth_method": "none",
                "redirect_uris": ["http://127.0.0.1:9000/cb"],
                "id_token_signed_response_alg": alg,
            }))
            .await;
        assert_eq!(
            crate::helpers::error_of(response).await,
            (
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata".to_owned()
            ),
            "{alg}"
        );
    }
    let registered = app
        .registered(serde_json::json!({
            "token_endpoint_auth_method": "none",
            "redirect_uris": ["http://127.0.0.1:9000/cb"],
        }))
        .await;
    assert_eq!(registered["id_token_signed_response_alg"], "RS256");
}
