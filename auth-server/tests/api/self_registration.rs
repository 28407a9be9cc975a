//! Clients anyone can register (dynamic registration, the clients pages) never exceed what
//! the operator or a user could grant them, cannot smuggle redirect URIs, do not turn the
//! server into an open redirector, and cannot pass for another client on the consent page.

use reqwest::StatusCode;
use serde_json::json;
use shared::client::{self, ClientConfig};
use shared::{CodeVerifier, ScopeSet};

use crate::helpers::{TestApp, error_of, hidden, location, spawn_app};

/// `POST /token` with `grant_type=client_credentials`, authenticated with Basic.
async fn client_credentials(app: &TestApp, client_id: &str, secret: &str) -> reqwest::Response {
    app.http
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent")
}

/// Each of `uris`, alone in a registration, is refused with `invalid_redirect_uri`.
async fn assert_redirect_uris_refused(app: &TestApp, uris: &[&str]) {
    for uri in uris {
        let response = app
            .register(json!({"token_endpoint_auth_method": "none", "redirect_uris": [uri]}))
            .await;
        assert_eq!(
            error_of(response).await,
            (StatusCode::BAD_REQUEST, "invalid_redirect_uri".into()),
            "{uri:?}"
        );
    }
}

/// The path of the authorization request `client_id` makes (`shared::client`) for
/// `scope`, back to `redirect_uri`.
fn authorize_path(client_id: &str, redirect_uri: &str, scope: &str) -> String {
    let config = ClientConfig {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        issuer: String::new(),
    };
    let scope = ScopeSet::parse(scope).expect("scopes");
    client::authorization_request(&config, "/authorize", &scope).url
}

#[tokio::test]
async fn a_self_registered_confidential_client_cannot_use_client_credentials_it_was_not_registered_for()
 {
    let app = spawn_app().await;
    let client = app
        .registered(
            json!({"client_name": "x", "token_endpoint_auth_method": "client_secret_basic",
               "redirect_uris": ["https://attacker.example/cb"],
               "scope": "admin read write openid profile email"}),
        )
        .await;
    let response = client_credentials(
        &app,
        client["client_id"].as_str().expect("id"),
        client["client_secret"].as_str().expect("a secret"),
    )
    .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "unauthorized_client".into())
    );
}

#[tokio::test]
async fn client_credentials_cannot_be_self_registered() {
    let app = spawn_app().await;
    let response = app.register(json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic", "scope": "read"}),
    )
    .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_client_metadata".into())
    );
}

#[tokio::test]
async fn a_self_registered_client_is_never_allowed_admin() {
    let app = spawn_app().await;
    let client = app
        .registered(
            json!({"client_name": "wants admin", "token_endpoint_auth_method": "none",
               "redirect_uris": ["https://app.example/cb"], "scope": "admin read openid"}),
        )
        .await;
    assert_eq!(client["scope"], "openid read", "admin is left out");
    let path = authorize_path(
        client["client_id"].as_str().expect("id"),
        "https://app.example/cb",
        "admin",
    );
    let response = app.browser().get(&path).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("invalid_scope")
    );
}

#[tokio::test]
async fn a_self_registered_client_may_ask_for_more_than_it_registered_within_the_ceiling_as_mcp_step_up_does()
 {
    let app = spawn_app().await;
    let client_id = &app.loopback_client(json!({"scope": "read"})).await;
    let path = authorize_path(client_id, "http://127.0.0.1:9000/cb", "read write");
    let response = app.browser().get(&path).await;
    assert_eq!(response.status(), StatusCode::OK, "the login page");
}

#[tokio::test]
async fn a_self_registered_client_asking_for_admin_among_other_scopes_gets_the_others_and_never_admin()
 {
    let app = spawn_app().await;
    // What MCP clients do: ask for every scope the resource's metadata lists.
    let (_, tokens) = app
        .loopback_client_tokens(json!({"scope": "read"}), "read write admin")
        .await;
    assert_eq!(tokens["scope"], "read write", "{tokens}");
}

#[tokio::test]
async fn a_registration_without_scope_may_ask_for_openid_profile_and_email_but_not_admin() {
    let app = spawn_app().await;
    let client = app.registered(json!({"token_endpoint_auth_method": "none", "redirect_uris": ["http://127.0.0.1:9000/cb"]}),
    )
    .await;
    assert_eq!(client["scope"], "email openid profile read");
}

#[tokio::test]
async fn a_newline_in_a_redirect_uri_is_refused_so_no_second_uri_is_smuggled_in() {
    let app = spawn_app().await;
    assert_redirect_uris_refused(
        &app,
        &[
            "https://good.example/cb\nhttp://evil.example/cb\njavascript:alert(1)//",
            "https://good.example/cb\thttp://evil.example/cb",
            "https://good.example/c b",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_redirect_uri_must_be_written_as_the_url_parser_reads_it() {
    let app = spawn_app().await;
    assert_redirect_uris_refused(
        &app,
        &[
            "https://app.example",
            "HTTPS://app.example/cb",
            "http://127.0.0.1:80/cb",
        ],
    )
    .await;
}

#[tokio::test]
async fn errors_for_a_self_registered_client_are_a_page_with_a_link_never_an_automatic_redirect() {
    let app = spawn_app().await;
    let client = app.registered(json!({"token_endpoint_auth_method": "none", "redirect_uris": ["https://attacker.example/cb"]}),
    )
    .await;
    let client_id = client["client_id"].as_str().expect("id");
    let response = app
        .browser()
        .get(&format!(
            "/authorize?client_id={client_id}&redirect_uri=https://attacker.example/cb&response_type=x"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none(), "no redirect");
    let page = response.text().await.expect("page");
    assert!(page.contains("unsupported_response_type"), "{page}");
    assert!(
        page.contains("href=\"https://attacker.example/cb?error=unsupported_response_type"),
        "a link the user may follow: {page}"
    );
}

#[tokio::test]
async fn a_client_name_another_client_has_is_refused() {
    let app = spawn_app().await;
    for name in [
        "OAuth 2.1 lab SPA",
        "oauth 2.1 LAB spa",
        // A Cyrillic А, a zero-width space, a zero-width joiner: names that look the same.
        "OAuth 2.1 lab SP\u{0410}",
        "OAuth 2.1 lab SPA\u{200b}",
        "OAuth 2.1 lab\u{200d} SPA",
    ] {
        let response = app
            .register(
                json!({"client_name": name, "token_endpoint_auth_method": "none",
                   "redirect_uris": ["https://attacker.example/callback"]}),
            )
            .await;
        assert_eq!(
            error_of(response).await,
            (StatusCode::BAD_REQUEST, "invalid_client_metadata".into()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn anonymous_dynamic_registrations_may_share_a_name_as_a_native_app_registering_on_every_run()
{
    let app = spawn_app().await;
    for port in [50_001, 50_002] {
        let response = app
            .register(
                json!({"client_name": "My MCP client", "token_endpoint_auth_method": "none",
                   "redirect_uris": [format!("http://127.0.0.1:{port}/callback")]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "port {port}");
    }
}

#[tokio::test]
async fn login_and_consent_show_the_client_id_the_redirect_host_and_unverified_for_a_self_registered_client()
 {
    let app = spawn_app().await;
    let client = app
        .registered(
            json!({"client_name": "Look-alike", "token_endpoint_auth_method": "none",
               "redirect_uris": ["https://attacker.example/callback"], "scope": "openid read"}),
        )
        .await;
    let client_id = client["client_id"].as_str().expect("id");
    let mut browser = app.browser();
    let login = browser
        .get(&authorize_path(
            client_id,
            "https://attacker.example/callback",
            "openid",
        ))
        .await;
    let html = login.text().await.expect("login page");
    for shown in [client_id, "attacker.example", "Unverified application"] {
        assert!(html.contains(shown), "login page shows {shown}: {html}");
    }
    let logged_in = browser.log_in(&html, "alice", "password123").await;
    let consent = browser.get(&location(&logged_in)).await;
    let html = consent.text().await.expect("consent page");
    for shown in [client_id, "attacker.example", "Unverified application"] {
        assert!(html.contains(shown), "consent page shows {shown}: {html}");
    }

    // The operator's own client is not marked.
    let mut browser = app.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("login page");
    assert!(html.contains("demo-client") && html.contains("localhost:8080"));
    assert!(!html.contains("Unverified application"));
}

#[tokio::test]
async fn a_client_registered_on_the_clients_page_cannot_be_allowed_admin_or_client_credentials() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let page = browser.get("/signup").await.text().await.expect("page");
    let created = browser
        .post(
            "/signup",
            &[
                ("csrf_token", &hidden(&page, "csrf_token")),
                ("username", "mallory"),
                ("password", "long-enough-1"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let page = browser.get("/clients").await.text().await.expect("page");
    let csrf = hidden(&page, "csrf_token");
    let form = |scope: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("name", format!("svc {scope}")),
            ("kind", "confidential".to_owned()),
            ("redirect_uris", "https://svc.example/cb".to_owned()),
            ("scope", scope.to_owned()),
        ]
    };
    let pairs = form("admin read");
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser.post("/clients", &pairs).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.expect("page").contains("at most"));

    let pairs = form("read");
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = browser.post("/clients", &pairs).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let page = created.text().await.expect("page");
    let (client_id, secret) = (
        crate::helpers::shown_after(&page, "Client id: "),
        crate::helpers::shown_after(&page, "Client secret: "),
    );
    let response = client_credentials(&app, &client_id, &secret).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "unauthorized_client".into())
    );
}

#[tokio::test]
async fn registrations_from_one_address_are_limited_to_30_an_hour() {
    let app = spawn_app().await;
    for n in 1..=30 {
        let response = app.register(json!({"token_endpoint_auth_method": "none", "redirect_uris": [format!("https://app{n}.example/cb")]}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED, "registration {n}");
    }
    let response = app.register(json!({"token_endpoint_auth_method": "none", "redirect_uris": ["https://one-more.example/cb"]}),
    )
    .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        error_of(response).await,
        (
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable".into()
        )
    );
}
