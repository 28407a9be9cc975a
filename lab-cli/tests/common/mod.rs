//! The real authorization server and resource server, started in-process for the tests of
//! this crate.

/// The two servers' addresses; the temporary folder of their databases lives as long as this.
pub struct Servers {
    pub issuer: String,
    pub resource: String,
    _data: tempfile::TempDir,
}

/// Starts both servers: the authorization server on `auth_addr` (its issuer is
/// `http://localhost:<port>`), the resource server on `resource_addr` trusting it, both
/// allowing `spa_origins` by CORS.
pub async fn start_servers(auth_addr: &str, resource_addr: &str, spa_origins: &[&str]) -> Servers {
    let data = tempfile::tempdir().expect("a temporary directory");
    let origins: Vec<String> = spa_origins.iter().map(|o| (*o).to_owned()).collect();
    let auth = auth_server::startup::Application::build(auth_server::config::Config {
        addr: auth_addr.parse().expect("addr"),
        issuer: None,
        database_url: format!("sqlite://{}/auth.db", data.path().display()),
        spa_origins: origins.clone(),
        default_resource: "http://localhost:8082".to_owned(),
        other_resource: "http://localhost:8083".to_owned(),
        code_ttl: 600,
        access_token_ttl: 300,
        refresh_token_ttl: 86_400,
        dynamic_registration: true,
        service_client_secret: "service-secret".to_owned(),
        resource_server_secret: "resource-server-secret".to_owned(),
        request_timeout: 10,
    })
    .await
    .expect("the authorization server starts");
    let issuer = auth.issuer().to_owned();
    tokio::spawn(auth.run_until_stopped());
    let resource = resource_server::startup::Application::build(resource_server::config::Config {
        addr: resource_addr.parse().expect("addr"),
        issuer: issuer.clone(),
        audience: Some("http://localhost:8082".to_owned()),
        database_url: format!("sqlite://{}/resource.db", data.path().display()),
        spa_origins: origins,
        validation: resource_server::config::ValidationMode::Jwt,
        client_id: "resource-server".to_owned(),
        client_secret: "resource-server-secret".to_owned(),
        introspection_cache_secs: 5,
        request_timeout: 10,
    })
    .await
    .expect("the resource server starts");
    let resource_address = format!("http://{}", resource.local_addr());
    tokio::spawn(resource.run_until_stopped());
    Servers {
        issuer,
        resource: resource_address,
        _data: data,
    }
}
