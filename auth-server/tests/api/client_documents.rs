//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client
//! whose `client_id` is the URL of its metadata document. The documents are real clients'
//! (`tests/fixtures/client-metadata/`), served by a local server the test starts, which
//! counts every fetch so a test can tell a cached document from a fetched one, and a
//! refused URL from one that was never asked for.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_server::config::ClientDocuments;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response as AxumResponse};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use shared::CodeVerifier;

use crate::helpers::{TestApp, code_sent_to, spawn_app, spawn_app_with};

/// A local server of client metadata documents.
struct Documents {
    origin: String,
    fetches: Arc<Mutex<HashMap<String, usize>>>,
    /// Set: the documents under `/withdrawable/` answer 404 from now on.
    withdrawn: Arc<AtomicBool>,
}

impl Documents {
    /// The URL of the document at `path`: a `client_id`.
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.origin)
    }

    /// How many times the document at `path` was fetched.
    fn fetches(&self, path: &str) -> usize {
        self.fetches
            .lock()
            .expect("not poisoned")
            .get(&format!("/{path}"))
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Clone)]
struct Served {
    fetches: Arc<Mutex<HashMap<String, usize>>>,
    withdrawn: Arc<AtomicBool>,
}

/// A fixture as published, with its `client_id` replaced by `url` (a document's `client_id`
/// must be where it is served, §4.1).
fn fixture(name: &str, url: Option<&str>) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/client-metadata/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the fixture")).expect("JSON");
    if let Some(url) = url {
        document["client_id"] = url.into();
    }
    document
}

fn json(document: &serde_json::Value, cache_control: &str) -> AxumResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, cache_control),
        ],
        document.to_string(),
    )
        .into_response()
}

/// `/{kind}/{fixture}.json`: the fixture, served the way `kind` says, its `client_id` the
/// URL it was asked for (by the host name the request names).
async fn serve(
    State(served): State<Served>,
    Path((kind, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> AxumResponse {
    let path = format!("/{kind}/{file}");
    *served
        .fetches
        .lock()
        .expect("not poisoned")
        .entry(path.clone())
        .or_default() += 1;
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or_default();
    let url = format!("http://{host}{path}");
    let name = file.trim_end_matches(".json");
    match kind.as_str() {
        "cached" => json(&fixture(name, Some(&url)), "public, max-age=600"),
        "no-store" => json(&fixture(name, Some(&url)), "no-store"),
        "withdrawable" if !served.withdrawn.load(Ordering::SeqCst) => {
            json(&fixture(name, Some(&url)), "max-age=600")
        }
        "as-published" => json(&fixture(name, None), "max-age=600"),
        "with-secret" => {
            let mut document = fixture(name, Some(&url));
            document["client_secret"] = "a-secret-anyone-can-read".into();
            json(&document, "max-age=600")
        }
        "huge" => {
            let mut document = fixture(name, Some(&url));
            document["contacts"] = vec!["someone@example.com"; 400].into();
            json(&document, "max-age=600")
        }
        "text" => (
            [(header::CONTENT_TYPE, "text/plain")],
            fixture(name, Some(&url)).to_string(),
        )
            .into_response(),
        "moved" => (AxumStatus::FOUND, [(LOCATION, format!("/cached/{file}"))]).into_response(),
        // Another service's JSON, which is no client's document.
        "foreign" => json(
            &serde_json::json!({"client_id": "LOCAL-SECRET-42", "x": 1}),
            "no-store",
        ),
        "foreign-typed" => json(
            &serde_json::json!({"client_id": ["LOCAL-SECRET-43"]}),
            "no-store",
        ),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json(&fixture(name, Some(&url)), "max-age=600")
        }
        _ => (AxumStatus::NOT_FOUND, HeaderMap::new()).into_response(),
    }
}

async fn serve_documents() -> Documents {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let origin = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("bound").port()
    );
    let fetches = Arc::new(Mutex::new(HashMap::new()));
    let withdrawn = Arc::new(AtomicBool::new(false));
    let router = axum::Router::new()
        .route("/{kind}/{file}", axum::routing::get(serve))
        .with_state(Served {
            fetches: fetches.clone(),
            withdrawn: withdrawn.clone(),
        });
    tokio::spawn(async move { axum::serve(listener, router).await });
    Documents {
        origin,
        fetches,
        withdrawn,
    }
}

/// The lab's setting: documents on this machine may be fetched.
async fn lab_app() -> TestApp {
    spawn_app_with(|config| config.client_metadata_documents = ClientDocuments::Lab).await
}

/// `/authorize` for the client `client_id` with `redirect_uri`, in a new browser.
async fn authorize(app: &TestApp, client_id: &str, redirect_uri: &str) -> reqwest::Response {
    app.browser()
        .authorize(
            &CodeVerifier::generate(),
            &[
                ("client_id", Some(client_id)),
                ("redirect_uri", Some(redirect_uri)),
                ("scope", Some("openid read")),
            ],
        )
        .await
}

/// The error page `/authorize` answers for a client whose id is the document at `path`
/// (asking for Claude Code's redirect URI).
async fn refusal(app: &TestApp, documents: &Documents, path: &str) -> String {
    refused_page(authorize(app, &documents.url(path), "http://127.0.0.1/callback").await).await
}

/// The request is refused with this server's error page, never a redirect; its text.
async fn refused_page(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get(LOCATION).is_none(),
        "never a redirect"
    );
    response.text().await.expect("the error page")
}

/// The document client `client_id` (Claude Code's document) runs the code flow for alice,
/// asking `openid read offline_access`: the token endpoint's answer, which must be 200.
async fn document_client_tokens(app: &TestApp, client_id: &str) -> serde_json::Value {
    // Claude Code registers `http://127.0.0.1/callback` and listens on any port.
    let redirect_uri = "http://127.0.0.1:43117/callback";
    let verifier = CodeVerifier::generate();
    let mut browser = app.logged_in("alice", "password123").await;
    let back = browser
        .approve_request(
            &verifier,
            &[
                ("client_id", Some(client_id)),
                ("redirect_uri", Some(redirect_uri)),
                ("scope", Some("openid read offline_access")),
            ],
        )
        .await;
    let code = code_sent_to(&back, redirect_uri);
    let tokens = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
            ("code_verifier", verifier.secret()),
        ])
        .await;
    assert_eq!(tokens.status(), StatusCode::OK);
    tokens.json().await.expect("tokens")
}

#[tokio::test]
async fn a_client_known_only_by_its_metadata_document_gets_tokens_and_refreshes_them() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let client_id = documents.url("cached/claude-code.json");
    let tokens = document_client_tokens(&app, &client_id).await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    let refreshed = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let claims = crate::helpers::claims_of(tokens["access_token"].as_str().expect("a token"));
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(documents.fetches("cached/claude-code.json"), 1);
}

#[tokio::test]
async fn a_document_named_by_a_host_name_is_fetched_from_the_addresses_checked_for_it() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let client_id = documents
        .url("cached/claude-code.json")
        .replace("127.0.0.1", "localhost");
    let response = authorize(&app, &client_id, "http://localhost:5000/callback").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(documents.fetches("cached/claude-code.json"), 1);
}

#[tokio::test]
async fn the_login_page_shows_the_host_that_serves_the_document_and_marks_the_client_unverified() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let response = authorize(
        &app,
        &documents.url("cached/claude-code.json"),
        "http://127.0.0.1:5000/callback",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("the login page");
    let host = documents.origin.trim_start_matches("http://");
    assert!(
        html.contains(&format!(
            "client metadata document served by <code>{host}</code>"
        )),
        "{html}"
    );
    assert!(html.contains("Unverified application"), "{html}");
    assert!(html.contains("Claude Code"), "{html}");
}

#[tokio::test]
async fn vs_code_s_document_is_accepted_without_the_grant_this_server_does_not_offer() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let client_id = documents.url("cached/vscode.json");
    for redirect_uri in ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"] {
        let response = authorize(&app, &client_id, redirect_uri).await;
        assert_eq!(response.status(), StatusCode::OK, "{redirect_uri}");
    }
    let elsewhere = authorize(&app, &client_id, "https://vscode.dev/elsewhere").await;
    assert!(
        refused_page(elsewhere)
            .await
            .contains("Invalid redirect URI")
    );
}

#[tokio::test]
async fn a_document_asking_for_private_key_jwt_is_refused_with_a_page_that_says_so() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let response = authorize(
        &app,
        &documents.url("cached/chatgpt.json"),
        "https://chatgpt.com/connector_platform_oauth_redirect",
    )
    .await;
    assert!(refused_page(response).await.contains("private_key_jwt"));
}

#[tokio::test]
async fn a_document_whose_client_id_is_not_its_own_url_is_refused() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    assert!(
        refusal(&app, &documents, "as-published/claude-code.json")
            .await
            .contains("not its own URL")
    );
}

#[tokio::test]
async fn a_refusal_of_json_that_names_no_client_shows_nothing_of_what_it_holds() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    for path in ["foreign/x.json", "foreign-typed/x.json"] {
        let page = refusal(&app, &documents, path).await;
        assert!(!page.contains("LOCAL-SECRET"), "{path}: {page}");
        assert!(
            page.contains("client_id") || page.contains("client metadata"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn a_document_holding_a_client_secret_is_refused() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    assert!(
        refusal(&app, &documents, "with-secret/claude-code.json")
            .await
            .contains("client_secret")
    );
}

#[tokio::test]
async fn a_document_is_never_fetched_through_a_redirect() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    assert!(
        refusal(&app, &documents, "moved/claude-code.json")
            .await
            .contains("redirects are not followed")
    );
    assert_eq!(documents.fetches("cached/claude-code.json"), 0);
}

#[tokio::test]
async fn a_document_that_is_not_there_is_refused_and_the_failure_is_not_cached() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    for _ in 0..2 {
        assert!(
            refusal(&app, &documents, "gone/claude-code.json")
                .await
                .contains("404")
        );
    }
    assert_eq!(documents.fetches("gone/claude-code.json"), 2);
}

#[tokio::test]
async fn a_document_larger_than_5_kb_is_refused() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    assert!(
        refusal(&app, &documents, "huge/claude-code.json")
            .await
            .contains("larger than 5120 bytes")
    );
}

#[tokio::test]
async fn a_document_not_served_as_json_is_refused() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    assert!(
        refusal(&app, &documents, "text/claude-code.json")
            .await
            .contains("not served as JSON")
    );
}

#[tokio::test]
async fn a_document_that_does_not_arrive_in_time_is_refused() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let started = Instant::now();
    assert!(
        refusal(&app, &documents, "slow/claude-code.json")
            .await
            .contains("took longer than 5 s")
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn a_document_is_kept_as_its_cache_headers_allow_and_one_that_forbids_it_a_minute() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    for path in ["cached/claude-code.json", "no-store/claude-code.json"] {
        for _ in 0..3 {
            let response = authorize(&app, &documents.url(path), "http://127.0.0.1/callback").await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        }
    }
    assert_eq!(documents.fetches("cached/claude-code.json"), 1);
    assert_eq!(
        documents.fetches("no-store/claude-code.json"),
        1,
        "anonymous requests cannot make the server fetch a document on each of them"
    );
}

#[tokio::test]
async fn once_a_document_is_withdrawn_its_client_gets_no_more_tokens_when_its_copy_expires() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let client_id = documents.url("withdrawable/claude-code.json");
    let tokens = document_client_tokens(&app, &client_id).await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    documents.withdrawn.store(true, Ordering::SeqCst);
    // The stored copy's time is up (as ten minutes later).
    let db = app.db().await;
    server_kit::with_db!(&db, pool => sqlx::query("UPDATE clients SET document_expires_at = 0 WHERE client_id = $1")
        .bind(&client_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .expect("updated");
    let refreshed = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(
        crate::helpers::error_of(refreshed).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
}

#[tokio::test]
async fn without_the_lab_switch_a_document_on_this_machine_is_never_fetched() {
    let app = spawn_app().await;
    let documents = serve_documents().await;
    assert!(
        refusal(&app, &documents, "cached/claude-code.json")
            .await
            .contains("--client-metadata-documents lab")
    );
    assert_eq!(documents.fetches("cached/claude-code.json"), 0);
}

#[tokio::test]
async fn a_document_url_on_a_private_or_special_use_address_is_refused_without_connecting() {
    let app = lab_app().await;
    for client_id in [
        "https://10.0.0.1/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.1.20:8443/client.json",
        "https://[fd00::1]/client.json",
        "https://[::ffff:a00:1]/client.json",
        "https://100.64.0.1/client.json",
    ] {
        let started = Instant::now();
        let response = authorize(&app, client_id, "http://127.0.0.1/callback").await;
        assert!(
            refused_page(response).await.contains("special-use"),
            "{client_id}"
        );
        // Refused before any connection: 10.0.0.1 would not answer within the time limit.
        assert!(started.elapsed() < Duration::from_secs(2), "{client_id}");
    }
}

#[tokio::test]
async fn a_loopback_document_over_https_is_refused_without_the_lab_switch() {
    let app = spawn_app().await;
    for client_id in [
        "https://127.0.0.1:9/client.json",
        "https://[::1]/client.json",
    ] {
        let response = authorize(&app, client_id, "http://127.0.0.1/callback").await;
        assert!(
            refused_page(response).await.contains("special-use"),
            "{client_id}"
        );
    }
}

#[tokio::test]
async fn a_client_id_url_that_breaks_the_identifier_rules_is_refused() {
    let app = lab_app().await;
    for client_id in [
        "http://app.example/client.json",
        "https://app.example/",
        "https://app.example/a/../client.json",
        "https://app.example/client.json#fragment",
        "https://user:password@app.example/client.json",
    ] {
        let response = authorize(&app, client_id, "http://127.0.0.1/callback").await;
        assert!(
            refused_page(response)
                .await
                .contains("not a usable client metadata document URL"),
            "{client_id}"
        );
    }
}

#[tokio::test]
async fn discovery_advertises_client_metadata_documents_unless_they_are_turned_off() {
    let app = spawn_app().await;
    let metadata = app
        .get_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(metadata["client_id_metadata_document_supported"], true);

    let off = spawn_app_with(|config| {
        config.client_metadata_documents = ClientDocuments::Off;
    })
    .await;
    let metadata = off
        .get_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(metadata["client_id_metadata_document_supported"], false);
    let documents = serve_documents().await;
    assert!(
        refusal(&off, &documents, "cached/claude-code.json")
            .await
            .contains("Unknown client")
    );
    assert_eq!(documents.fetches("cached/claude-code.json"), 0);
}

#[tokio::test]
async fn a_document_client_is_unknown_at_the_token_endpoint_until_its_document_was_fetched() {
    let app = lab_app().await;
    let documents = serve_documents().await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "made-up"),
            ("redirect_uri", "http://127.0.0.1/callback"),
            ("client_id", &documents.url("cached/claude-code.json")),
            ("code_verifier", CodeVerifier::generate().secret()),
        ])
        .await;
    assert_eq!(
        crate::helpers::error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
}

#[tokio::test]
async fn fetching_documents_from_this_machine_needs_a_server_that_listens_on_loopback() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut config = crate::helpers::test_config(&data).await;
    config.addr = "0.0.0.0:0".parse().expect("an address");
    config.client_metadata_documents = ClientDocuments::Lab;
    let error = auth_server::startup::Application::build(config)
        .await
        .expect_err("refuses to start");
    assert!(error.to_string().contains("listens on loopback"), "{error}");
}
