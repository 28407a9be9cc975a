//! The registry of protected resources: described in a file (name, scopes, token
//! lifetime), added and removed by an operator on `/resources`, and recorded when a client
//! names a resource on this machine (`--any-loopback-resource`).

use reqwest::StatusCode;
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{TestApp, error_of, hidden, redirect_params, spawn_app, spawn_app_with};

const MCP: &str = "http://localhost:3001/mcp";

/// A server with `json` as its `--resources-file`.
async fn with_resources_file(json: &str) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("resources.json");
    std::fs::write(&path, json).expect("written");
    let app = spawn_app_with(|config| config.resources_file = Some(path)).await;
    (app, dir)
}

#[tokio::test]
async fn a_resource_of_the_resources_file_gives_its_tokens_its_own_lifetime() {
    let (app, _dir) = with_resources_file(&format!(
        r#"{{"resources": [{{"resource": "{MCP}", "name": "My MCP server", "scopes": "read", "access_token_ttl": 120}}]}}"#
    ))
    .await;
    let response = app.service_token_for(MCP).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.expect("tokens");
    assert_eq!(tokens.expires_in, 120);
    let claims = crate::helpers::claims_of(tokens.access_token.secret());
    assert_eq!(claims["aud"], MCP);
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        120
    );
}

#[tokio::test]
async fn a_resource_of_the_resources_file_gets_access_tokens_signed_with_its_algorithm() {
    for alg in ["RS256", "ES256"] {
        let (app, _dir) = with_resources_file(&format!(
            r#"{{"resources": [{{"resource": "{MCP}", "access_token_alg": "{alg}"}}]}}"#
        ))
        .await;
        let tokens: TokenResponse = app
            .service_token_for(MCP)
            .await
            .json()
            .await
            .expect("tokens");
        let token = tokens.access_token.secret();
        let (key, key_alg) = app.published_key_for(token).await;
        assert_eq!(format!("{key_alg:?}"), alg);
        let mut validation = jsonwebtoken::Validation::new(key_alg);
        validation.set_audience(&[MCP]);
        jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
            .expect("verifies against the JWKS");
        // The default resource keeps EdDSA.
        let tokens: TokenResponse = app
            .service_token_for("http://localhost:8082")
            .await
            .json()
            .await
            .expect("tokens");
        let header = jsonwebtoken::decode_header(tokens.access_token.secret()).expect("a JWT");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    }
}

#[tokio::test]
async fn a_scope_the_named_resource_does_not_understand_is_sent_back_as_invalid_scope() {
    let (app, _dir) = with_resources_file(&format!(
        r#"{{"resources": [{{"resource": "{MCP}", "scopes": "read"}}]}}"#
    ))
    .await;
    let app = &app;
    let asking = |scope: &'static str| async move {
        app.browser()
            .authorize(
                &CodeVerifier::generate(),
                &[("resource", Some(MCP)), ("scope", Some(scope))],
            )
            .await
    };
    let refused = asking("openid read write").await;
    assert_eq!(
        redirect_params(&refused).get("error").map(String::as_str),
        Some("invalid_scope")
    );
    let allowed = asking("openid profile offline_access read").await;
    assert_eq!(allowed.status(), StatusCode::OK, "the login page");
}

#[tokio::test]
async fn a_malformed_resources_file_stops_the_server_with_a_message_naming_the_file() {
    for json in [
        "not json",
        r#"{"resources": [{"resource": "http://localhost:3001/mcp#x"}]}"#,
        r#"{"resources": [{"resource": "http://localhost:3001/mcp", "scopes": "bogus"}]}"#,
        r#"{"resources": [{"resource": "http://localhost:3001/mcp", "access_token_ttl": 86400}]}"#,
        r#"{"resources": [{"resource": "http://localhost:3001/mcp", "colour": "red"}]}"#,
        r#"{"resources": [{"resource": "http://localhost:3001/mcp", "access_token_alg": "HS256"}]}"#,
    ] {
        let data = tempfile::tempdir().expect("a directory");
        let path = data.path().join("resources.json");
        std::fs::write(&path, json).expect("written");
        let mut config = crate::helpers::test_config(&data).await;
        config.resources_file = Some(path);
        let error = auth_server::startup::Application::build(config)
            .await
            .expect_err("refused")
            .to_string();
        assert!(error.contains("--resources-file"), "{json}: {error}");
        assert!(error.contains("resources.json"), "{json}: {error}");
    }
}

/// Alice (who may grant `admin`) on the resources page: the page and its CSRF token.
async fn operator_page(app: &TestApp) -> (crate::helpers::Browser<'_>, String) {
    let mut browser = app.logged_in("alice", "password123").await;
    let page = browser.get("/resources").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("the page");
    (browser, html)
}

#[tokio::test]
async fn an_operator_adds_a_resource_clients_may_then_name_and_removes_it_again() {
    let app = spawn_app().await;
    assert_eq!(
        error_of(app.service_token_for(MCP).await).await.1,
        "invalid_target"
    );
    let (mut browser, html) = operator_page(&app).await;
    let csrf = hidden(&html, "csrf_token");
    let saved = browser
        .post(
            "/resources",
            &[
                ("csrf_token", csrf.as_str()),
                ("resource", MCP),
                ("name", "My MCP server"),
                ("scopes", "read write"),
                ("access_token_ttl", "60"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let response = app.service_token_for(MCP).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.expect("tokens");
    assert_eq!(tokens.expires_in, 60);
    let listed = browser.get("/resources").await.text().await.expect("page");
    assert!(listed.contains("My MCP server"), "{listed}");

    let removed = browser
        .post(
            "/resources/delete",
            &[("csrf_token", csrf.as_str()), ("resource", MCP)],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        error_of(app.service_token_for(MCP).await).await.1,
        "invalid_target"
    );
}

#[tokio::test]
async fn an_operator_cannot_add_a_resource_with_a_fragment_and_is_told_why() {
    let app = spawn_app().await;
    let (mut browser, html) = operator_page(&app).await;
    let page = browser
        .post(
            "/resources",
            &[
                ("csrf_token", hidden(&html, "csrf_token").as_str()),
                ("resource", "http://localhost:3001/mcp#tools"),
            ],
        )
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.expect("page");
    assert!(html.contains("no fragment"), "{html}");
}

#[tokio::test]
async fn a_resource_on_this_machine_named_by_a_client_is_recorded_and_listed_for_the_operator() {
    let app = spawn_app_with(|config| config.any_loopback_resource = true).await;
    assert_eq!(
        app.service_token_for("http://127.0.0.1:4321/mcp")
            .await
            .status(),
        StatusCode::OK
    );
    let (_, html) = operator_page(&app).await;
    assert!(html.contains("http://127.0.0.1:4321/mcp"), "{html}");
    assert!(html.contains("seen on this machine"), "{html}");
}

#[tokio::test]
async fn anonymous_authorization_requests_naming_new_resources_on_this_machine_store_nothing() {
    let app = spawn_app_with(|config| config.any_loopback_resource = true).await;
    let count = || async {
        let db = app.db().await;
        server_kit::with_db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM resources")
            .fetch_one(pool)
            .await)
        .expect("counted")
    };
    let before = count().await;
    for n in 0..200 {
        let resource = format!("http://localhost:1/{n:04}");
        let page = app
            .browser()
            .authorize(&CodeVerifier::generate(), &[("resource", Some(&resource))])
            .await;
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "the login page for {resource}"
        );
    }
    assert_eq!(count().await, before, "a request alone records no resource");
    let long = format!("http://localhost:1/{}", "x".repeat(600));
    let refused = app
        .browser()
        .authorize(&CodeVerifier::generate(), &[("resource", Some(&long))])
        .await;
    assert_eq!(redirect_params(&refused)["error"], "invalid_target");
}

#[tokio::test]
async fn only_an_operator_may_open_the_resources_page() {
    let app = spawn_app().await;
    let anonymous = app.browser().get("/resources").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let mut bob = app.logged_in("bob", "secret456").await;
    assert_eq!(
        bob.get("/resources").await.status(),
        StatusCode::FORBIDDEN,
        "bob may not grant admin"
    );
}
