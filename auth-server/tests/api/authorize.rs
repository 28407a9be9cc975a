use reqwest::StatusCode;
use reqwest::header::LOCATION;
use shared::CodeVerifier;

use crate::helpers::{REDIRECT_URI, redirect_params, spawn_app};

async fn assert_error_page_without_redirect(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get(LOCATION).is_none(),
        "never a redirect"
    );
    let html = response.text().await.expect("a page");
    assert!(html.contains("must not redirect"), "{html}");
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page_and_no_redirect() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .authorize(
            &CodeVerifier::generate(),
            &[("client_id", Some("no-such-client"))],
        )
        .await;
    assert_error_page_without_redirect(response).await;
}

#[tokio::test]
async fn a_missing_client_id_gets_an_error_page_and_no_redirect() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .authorize(&CodeVerifier::generate(), &[("client_id", None)])
        .await;
    assert_error_page_without_redirect(response).await;
}

#[tokio::test]
async fn a_redirect_uri_that_is_not_exactly_a_registered_one_gets_an_error_page_and_no_redirect() {
    let app = spawn_app().await;
    for variant in [
        "http://localhost:8080/callback/",
        // (https://localhost:8080/callback is registered too: the SPA over `--tls`.)
        "http://localhost:8080/Callback",
        "https://localhost:8081/callback",
        "http://[::1]:8080/callback",
        // The lab's SPA is a web app the operator configured: no other port, even on
        // loopback (that leniency is for self-registered native apps: `loopback.rs`).
        "http://localhost:8666/callback",
        "http://127.0.0.1:8666/callback",
        "http://localhost:8080/callback?next=/admin",
        "http://localhost:8080/callback#fragment",
        "http://localhost:8080/callback/evil",
        "http://evil.example/callback",
    ] {
        let response = app
            .browser()
            .authorize(
                &CodeVerifier::generate(),
                &[("redirect_uri", Some(variant))],
            )
            .await;
        assert_error_page_without_redirect(response).await;
    }
}

#[tokio::test]
async fn a_missing_redirect_uri_gets_an_error_page_and_no_redirect() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .authorize(&CodeVerifier::generate(), &[("redirect_uri", None)])
        .await;
    assert_error_page_without_redirect(response).await;
}

#[tokio::test]
async fn a_repeated_client_id_gets_an_error_page_and_no_redirect() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .get(&format!(
            "/authorize?client_id=demo-client&client_id=demo-client&redirect_uri={REDIRECT_URI}&response_type=code"
        ))
        .await;
    assert_error_page_without_redirect(response).await;
}

/// Asserts a redirect back to the client with `error`, the request's `state` and the `iss`.
async fn assert_redirected_error(changes: &[(&str, Option<&str>)], error: &str) {
    let app = spawn_app().await;
    let response = app
        .browser()
        .authorize(&CodeVerifier::generate(), changes)
        .await;
    let params = redirect_params(&response);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some(error),
        "{params:?}"
    );
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    assert_eq!(params.get("iss"), Some(&app.issuer));
    assert!(params.contains_key("error_description"));
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn a_missing_code_challenge_is_sent_back_as_invalid_request() {
    assert_redirected_error(&[("code_challenge", None)], "invalid_request").await;
}

#[tokio::test]
async fn a_missing_code_challenge_method_is_sent_back_as_invalid_request() {
    assert_redirected_error(&[("code_challenge_method", None)], "invalid_request").await;
}

#[tokio::test]
async fn the_plain_pkce_method_is_sent_back_as_invalid_request() {
    assert_redirected_error(
        &[("code_challenge_method", Some("plain"))],
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_malformed_code_challenge_is_sent_back_as_invalid_request() {
    assert_redirected_error(&[("code_challenge", Some("too-short"))], "invalid_request").await;
}

#[tokio::test]
async fn response_type_token_is_sent_back_as_unsupported_response_type() {
    assert_redirected_error(
        &[("response_type", Some("token"))],
        "unsupported_response_type",
    )
    .await;
}

#[tokio::test]
async fn a_missing_response_type_is_sent_back_as_invalid_request() {
    assert_redirected_error(&[("response_type", None)], "invalid_request").await;
}

#[tokio::test]
async fn an_unknown_scope_is_sent_back_as_invalid_scope() {
    assert_redirected_error(
        &[("scope", Some("read delete_everything"))],
        "invalid_scope",
    )
    .await;
}

#[tokio::test]
async fn a_malformed_scope_is_sent_back_as_invalid_scope() {
    assert_redirected_error(&[("scope", Some("read  write"))], "invalid_scope").await;
}

#[tokio::test]
async fn a_repeated_parameter_after_the_client_checks_is_sent_back_as_invalid_request() {
    let app = spawn_app().await;
    let verifier = CodeVerifier::generate();
    let challenge = verifier.challenge();
    let response = app
        .browser()
        .get(&format!(
            "/authorize?client_id=demo-client&redirect_uri={REDIRECT_URI}&response_type=code&scope=read&scope=admin\
             &state=s&code_challenge={}&code_challenge_method=S256",
            challenge.as_str()
        ))
        .await;
    let params = redirect_params(&response);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn a_valid_request_from_a_new_browser_shows_the_login_page_with_a_csrf_token() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .authorize(&CodeVerifier::generate(), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let html = response.text().await.expect("page");
    assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));
    assert!(crate::helpers::hidden(&html, "csrf_token").len() >= 43);
}

#[tokio::test]
async fn approving_redirects_back_with_a_code_the_state_and_the_issuer() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "approve")
        .await;
    let params = redirect_params(&back);
    assert!(params.get("code").is_some_and(|c| c.len() >= 43));
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    assert_eq!(params.get("iss"), Some(&app.issuer));
}

#[tokio::test]
async fn denying_consent_redirects_back_with_access_denied_and_the_state() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    let back = browser
        .log_in_and_decide(&html, "alice", "password123", "deny")
        .await;
    let params = redirect_params(&back);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    assert_eq!(params.get("iss"), Some(&app.issuer));
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn a_logged_in_browser_goes_straight_to_consent() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    browser
        .log_in_and_decide(&html, "bob", "secret456", "approve")
        .await;
    let again = browser.authorize(&CodeVerifier::generate(), &[]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert!(crate::helpers::location(&again).starts_with("/consent?request_id="));
}

/// The demo client's authorization request as form fields, `changes` applied.
fn demo_form(app: &crate::helpers::TestApp, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let pending =
        shared::client::Pending::generate(shared::ScopeSet::parse("openid read").expect("scopes"));
    let mut params: Vec<(String, String)> = shared::client::authorization_params(
        &shared::client::ClientConfig::demo(&app.issuer),
        &pending,
    )
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    for (name, value) in changes {
        match params.iter_mut().find(|(n, _)| n == name) {
            Some(param) => (*value).clone_into(&mut param.1),
            None => params.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    params
}

#[tokio::test]
async fn an_authorization_request_may_come_as_a_post_form_and_meets_the_same_checks() {
    let app = spawn_app().await;
    let post =
        |form: Vec<(String, String)>| app.http.post(app.url("/authorize")).form(&form).send();
    let login = post(demo_form(&app, &[])).await.expect("sent");
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.expect("page");
    assert!(html.contains("name=\"password\""), "the login page: {html}");

    let refused = post(demo_form(&app, &[("response_type", "token")]))
        .await
        .expect("sent");
    assert_eq!(
        redirect_params(&refused)["error"],
        "unsupported_response_type"
    );
    let unknown = post(demo_form(&app, &[("client_id", "no-such-client")]))
        .await
        .expect("sent");
    assert_error_page_without_redirect(unknown).await;
    let not_a_form = app
        .http
        .post(app.url("/authorize"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(not_a_form.status(), StatusCode::BAD_REQUEST);
}
