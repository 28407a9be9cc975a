//! Choosing the storage backend by `--database-url` (issue 10), and saying clearly what is
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
