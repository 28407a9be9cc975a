//! CORS only where a browser app calls from script; protective headers on the pages.

use reqwest::StatusCode;
use shared::CodeVerifier;

use crate::helpers::spawn_app;

async fn preflight(app: &crate::helpers::TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.http
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .expect("sent")
}

/// The origin a response lets read it, if any.
fn allowed_origin(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().expect("ascii"))
}

#[tokio::test]
async fn the_spa_origin_may_call_the_token_endpoint_from_script_without_credentials() {
    let app = spawn_app().await;
    let response = preflight(&app, "/token", "http://localhost:8080").await;
    assert_eq!(allowed_origin(&response), Some("http://localhost:8080"));
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

#[tokio::test]
async fn another_origin_gets_no_cors_permission_on_the_token_endpoint() {
    let app = spawn_app().await;
    let response = preflight(&app, "/token", "http://evil.example").await;
    assert!(allowed_origin(&response).is_none());
}

#[tokio::test]
async fn the_spa_origin_may_read_an_authorize_answer_from_script_but_never_with_credentials() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/authorize?client_id=demo-client&redirect_uri=https%3A%2F%2Fattacker.example%2Fcallback"))
        .header("Origin", "http://localhost:8080")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert_eq!(allowed_origin(&response), Some("http://localhost:8080"));
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

#[tokio::test]
async fn another_origin_may_not_read_authorize_answers() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/authorize?client_id=demo-client"))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .expect("sent");
    assert!(allowed_origin(&response).is_none());
}

#[tokio::test]
async fn the_login_consent_and_client_pages_grant_no_cors_even_to_the_spa() {
    let app = spawn_app().await;
    for path in ["/login", "/consent", "/clients", "/signup", "/logout"] {
        let response = preflight(&app, path, "http://localhost:8080").await;
        assert!(allowed_origin(&response).is_none(), "{path}");
    }
}

#[tokio::test]
async fn the_login_page_forbids_framing_scripts_sniffing_and_referrers() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .authorize(&CodeVerifier::generate(), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    let csp = header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("script-src"),
        "no script source is allowed at all: {csp}"
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure_and_host_prefixed() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.issuer = Some("https://auth.lab.example".to_owned());
    })
    .await;
    let response = app
        .browser()
        .authorize(&CodeVerifier::generate(), &[])
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("__Host-lab_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );

    let plain = spawn_app().await;
    let response = plain
        .browser()
        .authorize(&CodeVerifier::generate(), &[])
        .await;
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    assert!(
        cookie.starts_with("lab_session=") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_state_or_nonce_longer_than_512_bytes_is_invalid_request_and_nothing_is_stored() {
    let app = spawn_app().await;
    for name in ["state", "nonce"] {
        let long = "s".repeat(513);
        let response = app
            .browser()
            .authorize(&CodeVerifier::generate(), &[(name, Some(&long))])
            .await;
        let params = crate::helpers::redirect_params(&response);
        assert_eq!(params["error"], "invalid_request", "{name}");
    }
    let db = app.db().await;
    let stored: i64 = server_kit::with_db!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM authorization_requests")
        .fetch_one(pool)
        .await)
    .expect("counted");
    assert_eq!(stored, 0);
}
