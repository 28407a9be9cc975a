//! The resource server answers from its first moment, even before it has found the
//! authorization server, and follows the keys the authorization server publishes.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{answer, sign, spawn_lab_with};

#[tokio::test]
async fn with_an_unreachable_authorization_server_health_and_the_api_answer_503_at_once() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut config = <resource_server::config::Config as clap::Parser>::parse_from([
        "resource-server",
        "--addr",
        "127.0.0.1:0",
        "--issuer",
        "http://127.0.0.1:9",
    ]);
    config.database_url = server_kit::testing::fresh_database(data.path(), "resource").await;
    let started = Instant::now();
    let app = resource_server::startup::Application::build(config)
        .await
        .expect("the resource server starts without its authorization server");
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .expect("a client");

    let health = http
        .get(format!("{address}/health"))
        .send()
        .await
        .expect("answered within a second");
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = health.json().await.expect("JSON");
    assert_eq!(body["status"], "starting");
    assert_eq!(body["waiting_for"], "http://127.0.0.1:9");

    let api = http
        .get(format!("{address}/api/profile"))
        .bearer_auth("a.b.c")
        .send()
        .await
        .expect("answered within a second");
    let (status, _, body) = answer(api).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_key_the_authorization_server_no_longer_publishes_stops_verifying_tokens() {
    let lab = spawn_lab_with(|c| c.jwks_refresh = 1).await;
    let (old_kid, old_key, _) = lab.signing_key().await;
    // A token signed with the key (as a thief of the key could sign one).
    let token = sign(&lab.claims("read"), &old_kid, &old_key);
    assert_eq!(
        lab.get("/api/profile", Some(&token)).await.status(),
        StatusCode::OK
    );

    lab.rotate_key("replacement-key").await;
    lab.unpublish_key(&old_kid).await;
    let started = Instant::now();
    loop {
        let status = lab.get("/api/profile", Some(&token)).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the retired key still verifies: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
