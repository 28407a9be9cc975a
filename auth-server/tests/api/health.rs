use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_ok_with_the_service_name_and_version() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(format!("{}/health", app.address))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "auth-server");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn metrics_count_requests_by_endpoint_and_status_tokens_by_grant_and_refusals_by_reason() {
    let app = spawn_app().await;
    let issued = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
        ])
        .await;
    assert_eq!(issued.status(), 200);
    let refused = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "no-such-code"),
            ("client_id", "demo-client"),
        ])
        .await;
    assert_eq!(refused.status(), 400);
    let response = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.expect("text");
    for line in [
        r#"tokens_issued_total{grant="client_credentials"} 1"#,
        r#"refusals_total{endpoint="/token",reason="invalid_grant"} 1"#,
        r#"http_requests_total{method="POST",endpoint="/token",status="200"} 1"#,
        r#"http_requests_total{method="POST",endpoint="/token",status="400"} 1"#,
        r#"http_request_duration_seconds_count{endpoint="/token"} 2"#,
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
}
