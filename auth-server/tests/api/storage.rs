//! Choosing the storage backend by `--database-url`, and saying clearly what is
//! wrong with one that does not work.

use auth_server::startup::Application;

use crate::helpers::test_config;

async fn refusal(database_url: &str) -> String {
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut config = test_config(&data).await;
    config.database_url = database_url.to_owned();
    Application::build(config)
        .await
        .expect_err("the server does not start")
        .to_string()
}

#[tokio::test]
async fn a_database_url_of_another_kind_is_refused_with_the_two_that_work() {
    let message = refusal("mysql://lab:pw@127.0.0.1/lab").await;
    assert!(
        message.contains("sqlite://") && message.contains("postgres://"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreachable_postgresql_is_reported_as_such_without_its_password() {
    let message = refusal("postgres://lab:hunter2@127.0.0.1:1/lab").await;
    assert!(
        message.contains("cannot open the database postgres://lab:***@127.0.0.1:1/lab"),
        "{message}"
    );
    assert!(message.contains("refused"), "the cause is named: {message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn expired_rows_are_purged_periodically_and_live_ones_stay() {
    use server_kit::with_db;
    let app = crate::helpers::spawn_app_with(|c| c.purge_interval = 1).await;
    let db = app.db().await;
    let now = server_kit::unix_now();
    for (id, expires_at) in [("dead", now - 10), ("live", now + 3600)] {
        with_db!(&db, pool => sqlx::query("INSERT INTO sessions (id_hash, csrf_token, expires_at) VALUES ($1, 'x', $2)")
            .bind(id)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(drop))
        .expect("a session");
        with_db!(&db, pool => sqlx::query(
            "INSERT INTO authorization_requests (id, session_hash, client_id, redirect_uri, scope, code_challenge, resource, expires_at)
             VALUES ($1, 'x', 'demo-client', 'http://localhost:8080/callback', 'read', 'c', 'r', $2)")
            .bind(id)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(drop))
        .expect("a pending request");
        with_db!(&db, pool => sqlx::query("INSERT INTO rate_limits (key, window_ends, count) VALUES ($1, $2, 1)")
            .bind(id)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(drop))
        .expect("a counter");
    }
    let ids = |table: &'static str, key: &'static str| {
        let db = db.clone();
        async move {
            let mut ids: Vec<String> = with_db!(&db, pool => sqlx::query_scalar(&format!("SELECT {key} FROM {table} WHERE {key} IN ('dead', 'live')"))
                .fetch_all(pool)
                .await)
            .expect("read");
            ids.sort();
            ids
        }
    };
    let started = std::time::Instant::now();
    while ids("sessions", "id_hash")
        .await
        .contains(&"dead".to_owned())
    {
        assert!(started.elapsed().as_secs() < 10, "the purge never ran");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(ids("sessions", "id_hash").await, vec!["live"]);
    assert_eq!(ids("authorization_requests", "id").await, vec!["live"]);
    assert_eq!(ids("rate_limits", "key").await, vec!["live"]);
}
