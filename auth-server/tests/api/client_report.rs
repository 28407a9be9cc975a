//! The server grades its clients: what a client did that OAuth 2.1 or the MCP authorization
//! rules advise against is on its report, with the clause, counted.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::CodeVerifier;
use shared::demo::{ACCOUNTS, CLIENT_ID};

use crate::helpers::{TestApp, spawn_app};

/// `GET /clients/{id}/report` as JSON.
async fn report(app: &TestApp, client_id: &str) -> (StatusCode, Value) {
    let mut url = reqwest::Url::parse(&app.url("/")).expect("a URL");
    url.path_segments_mut()
        .expect("a base")
        .pop_if_empty()
        .extend(["clients", client_id, "report"]);
    let response = app
        .http
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .expect("sent");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

/// The report's findings as (name, count) pairs.
async fn findings(app: &TestApp, client_id: &str) -> Vec<(String, i64)> {
    let (status, body) = report(app, client_id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["finding"].as_str().expect("a name").to_owned(),
                f["count"].as_i64().expect("a count"),
            )
        })
        .collect()
}

fn named(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
}

/// `GET /authorize` as `client_id` with `params` besides its id, redirect URI and
/// `response_type`.
async fn authorize(app: &TestApp, client_id: &str, params: &[(&str, &str)]) -> StatusCode {
    let mut query = vec![
        ("client_id", client_id),
        ("redirect_uri", "http://127.0.0.1:9000/cb"),
        ("response_type", "code"),
    ];
    query.extend_from_slice(params);
    app.browser()
        .get(&format!("/authorize?{}", shared::form::form_encode(&query)))
        .await
        .status()
}

const PKCE: [(&str, &str); 2] = [
    (
        "code_challenge",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    ),
    ("code_challenge_method", "S256"),
];

#[tokio::test]
async fn a_client_that_follows_every_rule_has_an_empty_report() {
    let app = spawn_app().await;
    let client = app
        .loopback_client(json!({"application_type": "native"}))
        .await;
    let mut params = PKCE.to_vec();
    params.push(("resource", "http://localhost:8082"));
    assert_eq!(authorize(&app, &client, &params).await, StatusCode::OK);
    assert_eq!(findings(&app, &client).await, []);
}

#[tokio::test]
async fn a_registration_without_application_type_is_reported() {
    let app = spawn_app().await;
    let client = app.loopback_client(json!({})).await;
    assert_eq!(
        findings(&app, &client).await,
        named(&[("no_application_type", 1)])
    );
    let (_, body) = report(&app, &client).await;
    assert!(
        body["findings"][0]["clause"]
            .as_str()
            .expect("a clause")
            .contains("application_type"),
        "{body}"
    );
}

#[tokio::test]
async fn an_authorization_request_without_pkce_is_refused_and_reported_each_time() {
    let app = spawn_app().await;
    let client = app
        .loopback_client(json!({"application_type": "native"}))
        .await;
    let params = [("resource", "http://localhost:8082")];
    for _ in 0..2 {
        assert_ne!(authorize(&app, &client, &params).await, StatusCode::OK);
    }
    assert_eq!(findings(&app, &client).await, named(&[("no_pkce", 2)]));
}

#[tokio::test]
async fn plain_pkce_and_no_resource_are_reported_with_their_clauses() {
    let app = spawn_app().await;
    let client = app
        .loopback_client(json!({"application_type": "native"}))
        .await;
    let params = [
        ("code_challenge", "x".repeat(43)),
        ("code_challenge_method", "plain".to_owned()),
    ];
    let params: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
    authorize(&app, &client, &params).await;
    assert_eq!(
        findings(&app, &client).await,
        named(&[("pkce_plain", 1), ("no_resource", 1)])
    );
    let (_, body) = report(&app, &client).await;
    assert!(
        body["findings"][1]["clause"]
            .as_str()
            .expect("a clause")
            .contains("RFC 8707"),
        "{body}"
    );
}

#[tokio::test]
async fn a_resource_with_a_final_slash_is_reported_with_the_value_sent() {
    let app = spawn_app().await;
    let client = app
        .loopback_client(json!({"application_type": "native"}))
        .await;
    let mut params = PKCE.to_vec();
    params.push(("resource", "http://localhost:8082/mcp/"));
    authorize(&app, &client, &params).await;
    let (_, body) = report(&app, &client).await;
    assert_eq!(body["findings"][0]["finding"], "resource_not_canonical");
    assert_eq!(body["findings"][0]["detail"], "http://localhost:8082/mcp/");
}

#[tokio::test]
async fn a_replayed_code_and_a_replayed_refresh_token_are_on_the_report() {
    let app = spawn_app().await;
    let (alice, password) = ACCOUNTS[0];
    let tokens = app.tokens_for(alice, password, "openid read").await;
    let refresh = tokens.refresh_token.expect("a refresh token");
    assert_eq!(app.refresh(refresh.secret()).await.status(), StatusCode::OK);
    assert_eq!(
        app.refresh(refresh.secret()).await.status(),
        StatusCode::BAD_REQUEST
    );
    // A second flow: the first one's grant is revoked.
    let verifier = CodeVerifier::generate();
    let code = crate::helpers::obtain_code(&app, alice, password, "openid read", &verifier).await;
    app.redeemed(&code, &verifier).await;
    assert_eq!(
        app.redeem(&code, verifier.secret()).await.status(),
        StatusCode::BAD_REQUEST
    );
    let found = findings(&app, CLIENT_ID).await;
    for replay in ["code_replayed", "refresh_token_replayed"] {
        assert!(found.contains(&(replay.to_owned(), 1)), "{found:?}");
    }
}

#[tokio::test]
async fn the_report_is_also_a_page_naming_each_finding() {
    let app = spawn_app().await;
    let client = app.loopback_client(json!({})).await;
    let response = app
        .browser()
        .get(&format!("/clients/{client}/report"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("a page");
    assert!(html.contains("no_application_type"), "{html}");
    assert!(html.contains("an MCP client"), "{html}");
}

#[tokio::test]
async fn the_report_of_an_unknown_client_is_404() {
    let app = spawn_app().await;
    let (status, body) = report(&app, "no-such-client").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn an_access_token_in_the_userinfo_url_is_refused_and_reported_against_its_client() {
    let app = spawn_app().await;
    let (alice, password) = ACCOUNTS[0];
    let tokens = app.tokens_for(alice, password, "openid read").await;
    let mut url = reqwest::Url::parse(&app.url("/userinfo")).expect("a URL");
    url.query_pairs_mut()
        .append_pair("access_token", tokens.access_token.secret());
    let response = app.http.get(url).send().await.expect("sent");
    assert_eq!(
        crate::helpers::error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_request".to_owned())
    );
    let found = findings(&app, CLIENT_ID).await;
    assert!(
        found.contains(&("token_in_query".to_owned(), 1)),
        "{found:?}"
    );
}

#[tokio::test]
async fn the_report_of_a_client_a_user_registered_names_it_only_to_that_user_and_operators() {
    let app = spawn_app().await;
    let mut bob = app.browser();
    let csrf = crate::helpers::clients_session(&mut bob, "bob", "secret456").await;
    let created = bob
        .post(
            "/clients",
            &[
                ("csrf_token", &csrf),
                ("name", "Bob's private payroll app"),
                ("kind", "public"),
                ("redirect_uris", "http://127.0.0.1:9000/cb"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let text = created.text().await.expect("page");
    let client_id = crate::helpers::shown_after(&text, "Client id: ");
    // Anyone can make a request in the client's name: it is counted, and shown.
    authorize(&app, &client_id, &[("code_challenge_method", "plain")]).await;

    let (status, anonymous) = report(&app, &client_id).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!anonymous.to_string().contains("payroll"), "{anonymous}");
    assert!(
        !anonymous["findings"]
            .as_array()
            .expect("findings")
            .is_empty()
    );

    let mut alice = app.logged_in("alice", "password123").await;
    let as_operator = alice
        .get(&format!("/clients/{client_id}/report"))
        .await
        .text()
        .await
        .expect("page");
    assert!(as_operator.contains("payroll"), "an operator sees it all");
    let as_owner = bob
        .get(&format!("/clients/{client_id}/report"))
        .await
        .text()
        .await
        .expect("page");
    assert!(as_owner.contains("payroll"), "its owner sees it all");
}
