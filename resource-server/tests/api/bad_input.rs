//! Every endpoint of the resource server, fed every kind of malformed request
//! (`server_kit::testing`), with and without a valid token, and its request limits. No
//! answer is a 5xx or a hang; every refusal is an RFC 6750 error object.

use reqwest::Method;
use server_kit::testing::bad_input::{Endpoint, FORM, Kind, assert_all_clean};

use crate::helpers::spawn_lab;

const BEARER_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_token",
    "insufficient_scope",
    "invalid_input",
];

#[tokio::test]
async fn every_endpoint_answers_every_malformed_request_with_a_clear_4xx_and_never_a_5xx() {
    let lab = spawn_lab().await;
    let token = lab.token("openid profile read write").await;
    let mut endpoints = Vec::new();
    for authorization in [None, Some(format!("Bearer {token}"))] {
        let endpoint = |method, path, params, content_type| Endpoint {
            method,
            path,
            kind: Kind::Json(BEARER_ERRORS),
            params,
            content_type,
            authorization: authorization.clone(),
        };
        endpoints.extend([
            endpoint(Method::GET, "/api/profile", "", FORM),
            endpoint(Method::GET, "/api/notes", "", FORM),
            endpoint(
                Method::POST,
                "/api/notes",
                r#"{"text":"a note"}"#,
                "application/json",
            ),
            endpoint(Method::GET, "/api/admin/stats", "", FORM),
            endpoint(
                Method::GET,
                "/.well-known/oauth-protected-resource",
                "",
                FORM,
            ),
            endpoint(Method::GET, "/health", "", FORM),
        ]);
    }
    let address = lab.resource.trim_start_matches("http://");
    assert_all_clean(address, &endpoints, 200).await;
}

#[tokio::test]
async fn a_note_over_16_kb_is_refused_with_413_invalid_request() {
    let lab = spawn_lab().await;
    let token = lab.token("write").await;
    let response = lab
        .http
        .post(format!("{}/api/notes", lab.resource))
        .bearer_auth(token)
        .json(&serde_json::json!({"text": "a".repeat(17 * 1024)}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_request");
}
