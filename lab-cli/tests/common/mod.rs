//! The real authorization server and resource server, started in-process for the tests of
//! this crate.

/// The two servers' addresses; the temporary folder of their databases (and, with TLS, of
/// the certificate authority, in `tls/`) lives as long as this.
pub struct Servers {
    pub issuer: String,
    pub resource: String,
    #[allow(
        dead_code,
        reason = "read by the browser tests (e2e.rs), not by cli.rs"
    )]
    pub data: tempfile::TempDir,
}

/// Starts both servers: the authorization server on `auth_addr` (its issuer is
/// `http://localhost:<port>`), the resource server on `resource_addr` trusting it, both
/// allowing `spa_origins` by CORS. Over https when `tls` (`--tls` on both, one authority in
/// `tls/`; the issuer and the resource server's identifier `https://localhost:<port>`).
pub async fn start_servers(
    tls: bool,
    auth_addr: &str,
    resource_addr: &str,
    spa_origins: &[&str],
) -> Servers {
    let data = tempfile::tempdir().expect("a temporary directory");
    let origins: Vec<String> = spa_origins.iter().map(|o| (*o).to_owned()).collect();
    let scheme = if tls { "https" } else { "http" };
    let audience = format!("{scheme}://localhost:8082");
    // The real defaults, as the command line gives them, adjusted for a test.
    let mut auth_config = <auth_server::config::Config as clap::Parser>::parse_from([
        "auth-server",
        "--addr",
        auth_addr,
        "--default-resource",
        &audience,
    ]);
    auth_config.database_url = format!("sqlite://{}/auth.db", data.path().display());
    auth_config.spa_origins.clone_from(&origins);
    auth_config.tls = tls;
    auth_config.tls_dir = Some(data.path().join("tls"));
    // Recording decisions, as scripts/lab.sh starts the lab.
    auth_config.lab_traces = true;
    let auth = auth_server::startup::Application::build(auth_config)
        .await
        .expect("the authorization server starts");
    let issuer = auth.issuer().to_owned();
    tokio::spawn(auth.run_until_stopped());
    let mut resource_config = <resource_server::config::Config as clap::Parser>::parse_from([
        "resource-server",
        "--addr",
        resource_addr,
        "--issuer",
        &issuer,
        "--audience",
        &audience,
    ]);
    resource_config.database_url = format!("sqlite://{}/resource.db", data.path().display());
    resource_config.spa_origins = origins;
    resource_config.tls = tls;
    resource_config.tls_dir = Some(data.path().join("tls"));
    resource_config.lab_traces = true;
    let resource = resource_server::startup::Application::build(resource_config)
        .await
        .expect("the resource server starts");
    let resource_address = format!("{scheme}://{}", resource.local_addr());
    let ready = resource.ready();
    tokio::spawn(resource.run_until_stopped());
    ready.wait().await;
    Servers {
        issuer,
        resource: resource_address,
        data,
    }
}
