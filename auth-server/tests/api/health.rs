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
