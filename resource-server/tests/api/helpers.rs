use resource_server::config::Config;
use resource_server::startup::Application;

/// A running resource server on a free port.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    let config = Config {
        addr: "127.0.0.1:0".parse().expect("valid address"),
    };
    let app = Application::build(config).await.expect("the server starts");
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    TestApp { address, client }
}
