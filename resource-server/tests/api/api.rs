//! The API: one scope per endpoint, notes per user, the public metadata, CORS.

use reqwest::{Method, StatusCode};

use crate::helpers::{AUDIENCE, answer, spawn_lab, with_broken_signature};

#[tokio::test]
async fn a_read_token_on_the_write_endpoint_is_403_insufficient_scope_naming_write() {
    let lab = spawn_lab().await;
    let token = lab.token("read").await;
    let response = lab
        .http
        .post(format!("{}/api/notes", lab.resource))
        .bearer_auth(&token)
        .json(&serde_json::json!({"text": "hello"}))
        .send()
        .await
        .expect("sent");
    let (status, challenge, body) = answer(response).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"write\""),
        "{challenge}"
    );
    assert!(
        challenge.ends_with(
            ", resource_metadata=\"http://localhost:8082/.well-known/oauth-protected-resource\""
        ),
        "{challenge}"
    );
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn bobs_token_lacks_admin_so_the_admin_endpoint_is_403() {
    let lab = spawn_lab().await;
    let tokens = lab.tokens_for("bob", "secret456", "read write admin").await;
    let (status, _, body) = answer(
        lab.get("/api/admin/stats", Some(tokens.access_token.secret()))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn an_admin_token_gets_the_stats() {
    let lab = spawn_lab().await;
    let token = lab.token("read admin").await;
    lab.get("/api/profile", None).await;
    let response = lab.get("/api/admin/stats", Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stats: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(stats["users_seen"], 1);
    assert_eq!(stats["requests_refused"], 1);
    assert_eq!(stats["requests_allowed"], 1);
}

async fn add_note(
    lab: &crate::helpers::Lab,
    token: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    lab.http
        .post(format!("{}/api/notes", lab.resource))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_note_written_by_alice_is_listed_for_alice_and_not_for_bob() {
    let lab = spawn_lab().await;
    let alice = lab.token("read write").await;
    let bob = lab
        .tokens_for("bob", "secret456", "read write")
        .await
        .access_token
        .secret()
        .to_owned();
    assert_eq!(
        add_note(&lab, &alice, serde_json::json!({"text": "alice's secret"}))
            .await
            .status(),
        StatusCode::CREATED
    );

    let alices: serde_json::Value = lab
        .get("/api/notes", Some(&alice))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(alices.as_array().map(Vec::len), Some(1));
    assert_eq!(alices[0]["text"], "alice's secret");
    let bobs: serde_json::Value = lab
        .get("/api/notes", Some(&bob))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(bobs, serde_json::json!([]));
}

#[tokio::test]
async fn an_empty_or_too_long_note_is_422_with_a_clear_message() {
    let lab = spawn_lab().await;
    let token = lab.token("write").await;
    for text in [String::new(), "x".repeat(1001)] {
        let (status, _, body) =
            answer(add_note(&lab, &token, serde_json::json!({"text": text})).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains("1 to 1000 characters")),
            "{body}"
        );
    }
    assert_eq!(
        add_note(&lab, &token, serde_json::json!({"text": "x".repeat(1000)}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_note_body_that_is_not_the_expected_json_is_400() {
    let lab = spawn_lab().await;
    let token = lab.token("write").await;
    let (status, _, body) =
        answer(add_note(&lab, &token, serde_json::json!({"note": "wrong field"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_input");
}

#[tokio::test]
async fn the_protected_resource_metadata_names_the_authorization_server() {
    let lab = spawn_lab().await;
    let metadata: serde_json::Value = lab
        .get("/.well-known/oauth-protected-resource", None)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(metadata["resource"], AUDIENCE);
    assert_eq!(
        metadata["authorization_servers"],
        serde_json::json!([lab.issuer])
    );
    assert_eq!(
        metadata["bearer_methods_supported"],
        serde_json::json!(["header"])
    );
}

#[tokio::test]
async fn the_spa_may_read_the_www_authenticate_header_across_origins() {
    let lab = spawn_lab().await;
    let response = lab
        .http
        .request(Method::GET, format!("{}/api/profile", lab.resource))
        .header("Origin", "http://localhost:8080")
        .send()
        .await
        .expect("sent");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_lowercase())
    };
    assert_eq!(
        header("access-control-allow-origin").as_deref(),
        Some("http://localhost:8080")
    );
    assert!(
        header("access-control-expose-headers").is_some_and(|h| h.contains("www-authenticate"))
    );
}

#[tokio::test]
async fn health_answers_ok() {
    let lab = spawn_lab().await;
    let body: serde_json::Value = lab.get("/health", None).await.json().await.expect("JSON");
    assert_eq!(body["service"], "resource-server");
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn metrics_count_refusals_by_the_check_that_failed() {
    let lab = spawn_lab().await;
    let token = lab.token("read").await;
    let tampered = with_broken_signature(&token);
    let response = lab.get("/api/profile", Some(&tampered)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(lab.get("/api/profile", Some(&token)).await.status(), 200);
    let text = lab
        .http
        .get(format!("{}/metrics", lab.resource))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    for line in [
        r#"refusals_total{endpoint="/api/profile",reason="bad_signature"} 1"#,
        r#"http_requests_total{method="GET",endpoint="/api/profile",status="200"} 1"#,
        r#"http_requests_total{method="GET",endpoint="/api/profile",status="401"} 1"#,
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint_with_its_bearer_errors() {
    let lab = spawn_lab().await;
    let document: serde_json::Value = lab
        .http
        .get(format!("{}/openapi.json", lab.resource))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    server_kit::testing::assert_openapi_3_with_resolved_refs(&document);
    for (path, method) in [
        ("/api/profile", "get"),
        ("/api/notes", "get"),
        ("/api/notes", "post"),
        ("/api/admin/stats", "get"),
        ("/.well-known/oauth-protected-resource", "get"),
        ("/health", "get"),
    ] {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path}"
        );
    }
    for status in ["401", "403"] {
        assert!(
            document["paths"]["/api/profile"]["get"]["responses"][status].is_object(),
            "{status}"
        );
    }
}
