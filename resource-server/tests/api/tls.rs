//! HTTPS on localhost (`--tls` on both servers): one local certificate authority, made on
//! first start beside the database, that both servers serve a localhost certificate of; the
//! issuer is https and the session cookie `Secure` with the `__Host-` prefix; the resource
//! server checks tokens against the authorization server over https.

use reqwest::StatusCode;

/// Both servers with `--tls` on one data directory; a client that trusts the authority.
struct TlsLab {
    auth: String,
    resource: String,
    http: reqwest::Client,
    data: tempfile::TempDir,
}

async fn start_auth(
    data: &std::path::Path,
    database_url: &str,
) -> auth_server::startup::Application {
    let mut config = <auth_server::config::Config as clap::Parser>::parse_from([
        "auth-server",
        "--addr",
        "127.0.0.1:0",
        "--tls",
        "--default-resource",
        "https://localhost:8082",
    ]);
    config.database_url = database_url.to_owned();
    config.tls_dir = Some(data.join("tls"));
    auth_server::startup::Application::build(config)
        .await
        .expect("the authorization server starts with --tls")
}

async fn spawn_tls_lab() -> TlsLab {
    let data = tempfile::tempdir().expect("a temporary directory");
    let auth_db = server_kit::testing::fresh_database(data.path(), "auth").await;
    let auth = start_auth(data.path(), &auth_db).await;
    let auth_port = auth.local_addr().port();
    assert_eq!(auth.issuer(), format!("https://localhost:{auth_port}"));
    tokio::spawn(auth.run_until_stopped());

    let mut config = <resource_server::config::Config as clap::Parser>::parse_from([
        "resource-server",
        "--addr",
        "127.0.0.1:0",
        "--tls",
        "--issuer",
        &format!("https://localhost:{auth_port}"),
        "--audience",
        "https://localhost:8082",
    ]);
    config.database_url = server_kit::testing::fresh_database(data.path(), "resource").await;
    config.tls_dir = Some(data.path().join("tls"));
    let resource = resource_server::startup::Application::build(config)
        .await
        .expect("the resource server starts with --tls");
    let resource_port = resource.local_addr().port();
    let ready = resource.ready();
    tokio::spawn(resource.run_until_stopped());
    ready.wait().await;

    let ca = std::fs::read(data.path().join("tls/ca.pem")).expect("ca.pem");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("a certificate"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    TlsLab {
        auth: format!("https://localhost:{auth_port}"),
        resource: format!("https://localhost:{resource_port}"),
        http,
        data,
    }
}

#[tokio::test]
async fn with_tls_both_servers_answer_https_under_one_local_authority_and_tokens_verify_across_it()
{
    let lab = spawn_tls_lab().await;
    let metadata: serde_json::Value = lab
        .http
        .get(format!("{}/.well-known/openid-configuration", lab.auth))
        .send()
        .await
        .expect("https to the authorization server, trusted through ca.pem")
        .json()
        .await
        .expect("JSON");
    assert_eq!(metadata["issuer"], lab.auth);
    assert_eq!(metadata["token_endpoint"], format!("{}/token", lab.auth));

    // A token from the authorization server, over https; used at the resource server, over
    // https, which fetched the keys from the authorization server over https.
    let tokens: shared::TokenResponse = lab
        .http
        .post(format!("{}/token", lab.auth))
        .basic_auth("service-client", Some("service-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("tokens");
    let response = lab
        .http
        .get(format!("{}/api/profile", lab.resource))
        .bearer_auth(tokens.access_token.secret())
        .send()
        .await
        .expect("https to the resource server");
    assert_eq!(response.status(), StatusCode::OK);

    // The authority's private key is nowhere: only its certificate and the localhost pair.
    let mut files: Vec<String> = std::fs::read_dir(lab.data.path().join("tls"))
        .expect("the tls directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert_eq!(files, ["ca.pem", "localhost-key.pem", "localhost.pem"]);
}

#[tokio::test]
async fn with_tls_the_session_cookie_is_secure_and_host_prefixed() {
    let lab = spawn_tls_lab().await;
    let request = shared::client::authorization_request(
        &shared::client::ClientConfig::demo(&lab.auth),
        "/authorize",
        &shared::ScopeSet::parse("read").expect("scopes"),
    );
    let response = lab
        .http
        .get(format!("{}{}", lab.auth, request.url))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK, "the login page");
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    assert!(cookie.starts_with("__Host-lab_session="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_local_authority_is_refused_and_the_server_carries_on() {
    let lab = spawn_tls_lab().await;
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("{}/health", lab.auth))
            .send()
            .await
            .is_err(),
        "the certificate is not publicly trusted"
    );
    let plain_http = lab.auth.replacen("https://", "http://", 1);
    let plain = untrusting.get(format!("{plain_http}/health")).send().await;
    assert!(
        !matches!(plain, Ok(ref r) if r.status().is_success()),
        "no plain http on the https port: {plain:?}"
    );
    let health = lab
        .http
        .get(format!("{}/health", lab.auth))
        .send()
        .await
        .expect("still serving");
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_restart_keeps_the_local_authority_so_the_browser_trusts_it_once() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let db = server_kit::testing::fresh_database(data.path(), "auth").await;
    drop(start_auth(data.path(), &db).await);
    let first = std::fs::read(data.path().join("tls/ca.pem")).expect("ca.pem");
    drop(start_auth(data.path(), &db).await);
    let second = std::fs::read(data.path().join("tls/ca.pem")).expect("ca.pem");
    assert_eq!(first, second);
}
