//! Every endpoint of the authorization server, fed every kind of malformed request
//! (`server_kit::testing`), and the request limits. Each answer must be a 4xx (or, where the
//! RFC says so, a 2xx), never a 5xx or a hang; a JSON endpoint answers an RFC error object,
//! a page a readable page.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use server_kit::testing::bad_input::{Endpoint, FORM, Kind, assert_all_clean};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, spawn_app_with};

const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
];

/// The pages: method, path, well-formed parameters.
const PAGES: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/authorize",
        "response_type=code&client_id=demo-client&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&scope=read&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
    ),
    (
        "POST",
        "/login",
        "request_id=r&csrf_token=c&username=alice&password=password123",
    ),
    ("GET", "/consent", "request_id=r"),
    (
        "POST",
        "/consent",
        "request_id=r&csrf_token=c&decision=approve",
    ),
    ("GET", "/signup", "request_id=r"),
    (
        "POST",
        "/signup",
        "csrf_token=c&username=dave&password=longenough1&name=Dave&email=d%40example.com",
    ),
    ("GET", "/clients", ""),
    (
        "POST",
        "/clients",
        "csrf_token=c&name=x&redirect_uris=http%3A%2F%2Flocalhost%3A9000%2Fcb&scope=read",
    ),
    (
        "GET",
        "/logout",
        "client_id=demo-client&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F",
    ),
];

const USERINFO_ERRORS: &[&str] = &["invalid_request", "invalid_token", "insufficient_scope"];
const REGISTRATION_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_redirect_uri",
    "invalid_client_metadata",
];

/// The JSON endpoints: method, path, the errors they may answer, well-formed parameters.
const JSON_ENDPOINTS: &[(&str, &str, &[&str], &str)] = &[
    (
        "POST",
        "/token",
        TOKEN_ERRORS,
        "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&client_id=demo-client&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    ),
    (
        "POST",
        "/token",
        TOKEN_ERRORS,
        "grant_type=refresh_token&refresh_token=abc&client_id=demo-client",
    ),
    (
        "POST",
        "/token",
        TOKEN_ERRORS,
        "grant_type=client_credentials&client_id=service-client&client_secret=service-secret&scope=read",
    ),
    (
        "POST",
        "/revoke",
        TOKEN_ERRORS,
        "token=abc&token_type_hint=refresh_token&client_id=demo-client",
    ),
    (
        "POST",
        "/introspect",
        TOKEN_ERRORS,
        "token=abc&client_id=resource-server&client_secret=resource-server-secret",
    ),
    ("GET", "/userinfo", USERINFO_ERRORS, ""),
    ("POST", "/userinfo", USERINFO_ERRORS, ""),
    (
        "POST",
        "/register",
        REGISTRATION_ERRORS,
        r#"{"redirect_uris":["http://127.0.0.1:9000/cb"],"client_name":"x","token_endpoint_auth_method":"none","scope":"read"}"#,
    ),
    ("GET", "/jwks.json", &["invalid_request"], ""),
    (
        "GET",
        "/.well-known/oauth-authorization-server",
        &["invalid_request"],
        "",
    ),
    (
        "GET",
        "/.well-known/openid-configuration",
        &["invalid_request"],
        "",
    ),
    ("GET", "/health", &["invalid_request"], ""),
];

fn endpoints() -> Vec<Endpoint> {
    let endpoint = |method: &str, path, kind, params: &'static str| Endpoint {
        method: Method::from_bytes(method.as_bytes()).expect("a method"),
        path,
        kind,
        params,
        content_type: if params.starts_with('{') {
            "application/json"
        } else {
            FORM
        },
        authorization: None,
    };
    PAGES
        .iter()
        .map(|&(method, path, params)| endpoint(method, path, Kind::Page, params))
        .chain(
            JSON_ENDPOINTS
                .iter()
                .map(|&(method, path, errors, params)| {
                    endpoint(method, path, Kind::Json(errors), params)
                }),
        )
        .collect()
}

#[tokio::test]
async fn every_endpoint_answers_every_malformed_request_with_a_clear_4xx_and_never_a_5xx() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://");
    assert_all_clean(address, &endpoints(), 300).await;
}

#[tokio::test]
async fn a_body_over_16_kb_is_refused_with_413_invalid_request_before_any_handler_reads_it() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/token"))
        .header(CONTENT_TYPE, FORM)
        .body(format!(
            "grant_type=client_credentials&x={}",
            "a".repeat(16 * 1024)
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["error_description"],
        "the request body is larger than 16384 bytes"
    );
}

#[tokio::test]
async fn headers_over_16_kb_are_refused_with_431_invalid_request() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .header("x-filler", "a".repeat(17 * 1024))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 431);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_browser_over_a_limit_gets_a_page_that_says_which_limit() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url(&format!("/authorize?state={}", "a".repeat(17 * 1024))))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 431);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let page = response.text().await.expect("text");
    assert!(
        page.contains("the URL and headers are larger than 16384 bytes"),
        "{page}"
    );
}

#[tokio::test]
async fn a_request_whose_body_never_comes_is_answered_408_invalid_request_after_the_timeout() {
    let app = spawn_app_with(|config| config.request_timeout = 1).await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connected");
    // Announces 100 bytes and sends none.
    let head = format!(
        "POST /token HTTP/1.1\r\nHost: {address}\r\nContent-Type: {FORM}\r\nContent-Length: 100\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer before the test gives up")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"invalid_request""#), "{answer}");
    assert!(answer.contains("not complete within 1 s"), "{answer}");
}

/// Form bodies built from the token endpoint's own vocabulary, with arbitrary values, or
/// arbitrary bytes.
fn token_request_bodies() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        Just("grant_type".to_owned()),
        Just("code".to_owned()),
        Just("code_verifier".to_owned()),
        Just("redirect_uri".to_owned()),
        Just("client_id".to_owned()),
        Just("client_secret".to_owned()),
        Just("refresh_token".to_owned()),
        Just("scope".to_owned()),
        Just("resource".to_owned()),
        "[a-z_]{1,12}",
    ];
    let value = prop_oneof![
        Just("authorization_code".to_owned()),
        Just("refresh_token".to_owned()),
        Just("client_credentials".to_owned()),
        Just("demo-client".to_owned()),
        Just("service-client".to_owned()),
        "\\PC{0,60}",
        "%[0-9A-Fa-f]{2}|%[g-z]{0,2}",
    ];
    let form = proptest::collection::vec((name, value), 0..8).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(n, v)| format!("{n}={}", v.replace(' ', "+")))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    });
    prop_oneof![form, proptest::collection::vec(any::<u8>(), 0..400)]
}

#[test]
fn arbitrary_token_requests_get_tokens_or_an_rfc_error_and_never_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let app = runtime.block_on(spawn_app());
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 512,
        ..proptest::test_runner::Config::default()
    });
    runner
        .run(&token_request_bodies(), |body| {
            let (status, answer) = runtime.block_on(async {
                let response = app
                    .http
                    .post(app.url("/token"))
                    .header(CONTENT_TYPE, FORM)
                    .body(body.clone())
                    .send()
                    .await
                    .expect("an answer");
                let status = response.status().as_u16();
                (status, response.json::<serde_json::Value>().await)
            });
            let answer =
                answer.map_err(|e| TestCaseError::fail(format!("{status}, not JSON: {e}")))?;
            prop_assert!(
                status < 500,
                "{} for {:?}",
                status,
                String::from_utf8_lossy(&body)
            );
            if status >= 400 {
                let error = answer["error"].as_str().unwrap_or_default();
                prop_assert!(
                    TOKEN_ERRORS.contains(&error),
                    "{} {} for {:?}",
                    status,
                    answer,
                    String::from_utf8_lossy(&body)
                );
            } else {
                prop_assert!(answer["access_token"].is_string(), "{}", answer);
            }
            Ok(())
        })
        .expect("every token request answered as RFC 6749 §5.1/§5.2 say");
}
