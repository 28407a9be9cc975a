//! A real authorization server on a free port with its own database (a SQLite file, or a
//! PostgreSQL database when the suite runs on PostgreSQL), and the lab's headless browser,
//! which keeps the session cookie and never follows redirects, so tests can assert on every
//! `Location`.

use std::collections::HashMap;

use auth_server::config::Config;
use auth_server::startup::Application;
use reqwest::{Response, StatusCode};
use shared::client::{self, ClientConfig, Pending};
pub use shared::demo::{CLIENT_ID, REDIRECT_URI};
use shared::{CodeVerifier, ScopeSet, State, TokenResponse};

/// A running authorization server.
pub struct TestApp {
    pub address: String,
    pub issuer: String,
    pub database_url: String,
    pub http: reqwest::Client,
    _data: tempfile::TempDir,
}

/// The real defaults, as the command line gives them, adjusted for a test: any free port,
/// its own database, one SPA origin.
pub async fn test_config(data: &tempfile::TempDir) -> Config {
    let mut config = <Config as clap::Parser>::parse_from([
        "auth-server",
        "--addr",
        "127.0.0.1:0",
        "--spa-origin",
        "http://localhost:8080",
    ]);
    config.database_url = database_url(data).await;
    config
}

/// A new database for a test server: a SQLite file in `data`, or a PostgreSQL database
/// when the suite runs on PostgreSQL (`server_kit::testing::fresh_database`).
pub async fn database_url(data: &tempfile::TempDir) -> String {
    server_kit::testing::fresh_database(data.path(), "auth").await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut config = test_config(&data).await;
    tweak(&mut config);
    let database_url = config.database_url.clone();
    let app = Application::build(config).await.expect("the server starts");
    let address = format!("http://{}", app.local_addr());
    let issuer = app.issuer().to_owned();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        issuer,
        database_url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client"),
        _data: data,
    }
}

impl TestApp {
    /// A server already running on `port` of 127.0.0.1 with its default issuer (a process
    /// the test started), on the database at `database_url` (its files, if any, in `data`).
    pub fn running_at(port: u16, database_url: String, data: tempfile::TempDir) -> Self {
        Self {
            address: format!("http://127.0.0.1:{port}"),
            issuer: format!("http://localhost:{port}"),
            database_url,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            _data: data,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A browser logged in as `username` (its first code is used up on the way).
    pub async fn logged_in(&self, username: &str, password: &str) -> Browser<'_> {
        let mut browser = self.browser();
        let page = browser.authorize(&CodeVerifier::generate(), &[]).await;
        let html = page.text().await.expect("login page");
        let back = browser
            .log_in_and_decide(&html, username, password, "approve")
            .await;
        assert_eq!(back.status(), StatusCode::FOUND, "back to the client");
        browser
    }

    /// A browser with a login page open (an authorization request of the demo client).
    pub async fn at_login_page(&self) -> (Browser<'_>, String) {
        let mut browser = self.browser();
        let html = browser
            .authorize(&CodeVerifier::generate(), &[])
            .await
            .text()
            .await
            .expect("login page");
        (browser, html)
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            inner: lab_cli::browser::Browser::new(&self.address),
        }
    }

    /// `POST /register` (RFC 7591) with `metadata` as JSON.
    pub async fn register(&self, metadata: serde_json::Value) -> Response {
        self.http
            .post(self.url("/register"))
            .json(&metadata)
            .send()
            .await
            .expect("sent")
    }

    /// Registers `metadata`, which must be accepted; returns the registration response.
    pub async fn registered(&self, metadata: serde_json::Value) -> serde_json::Value {
        let response = self.register(metadata).await;
        assert_eq!(response.status(), StatusCode::CREATED, "registered");
        response.json().await.expect("JSON")
    }

    /// `POST /token` with a form body.
    pub async fn token(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/token"))
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// A public client registered dynamically as an MCP client would be: named "an MCP
    /// client", redirect URI `http://127.0.0.1:9000/cb`, `metadata` added. Its id.
    pub async fn loopback_client(&self, metadata: serde_json::Value) -> String {
        let mut body = serde_json::json!({"client_name": "an MCP client",
            "token_endpoint_auth_method": "none", "redirect_uris": ["http://127.0.0.1:9000/cb"]});
        body.as_object_mut()
            .expect("an object")
            .extend(metadata.as_object().expect("an object").clone());
        self.registered(body).await["client_id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// A loopback client registered with `metadata` ([`TestApp::loopback_client`]) runs the
    /// code flow with PKCE asking `scope`; alice logs in and approves. Its id, and the token
    /// endpoint's JSON answer.
    pub async fn loopback_client_tokens(
        &self,
        metadata: serde_json::Value,
        scope: &str,
    ) -> (String, serde_json::Value) {
        let config = ClientConfig {
            client_id: self.loopback_client(metadata).await,
            redirect_uri: "http://127.0.0.1:9000/cb".to_owned(),
            issuer: self.issuer.clone(),
        };
        let scope = ScopeSet::parse(scope).expect("scopes");
        let request = client::authorization_request(&config, "/authorize", &scope);
        let mut browser = self.browser();
        let page = browser.get(&request.url).await;
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "the login page, not a refusal"
        );
        let html = page.text().await.expect("login page");
        let back = browser
            .log_in_and_decide(&html, "alice", "password123", "approve")
            .await;
        let code = code_sent_to(&back, &config.redirect_uri);
        let tokens = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &config.redirect_uri),
                ("client_id", &config.client_id),
                ("code_verifier", request.pending.code_verifier.secret()),
            ])
            .await
            .json()
            .await
            .expect("tokens");
        (config.client_id, tokens)
    }

    /// A client-credentials token for `resource`, asked by the service client (which may
    /// have `read`): the response.
    pub async fn service_token_for(&self, resource: &str) -> Response {
        self.token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
            ("resource", resource),
        ])
        .await
    }

    /// Tokens for `username` asking `scope`: authorize, log in, consent, redeem as the demo
    /// client.
    pub async fn tokens_for(&self, username: &str, password: &str, scope: &str) -> TokenResponse {
        let verifier = CodeVerifier::generate();
        let code = obtain_code(self, username, password, scope, &verifier).await;
        self.redeemed(&code, &verifier).await
    }

    /// Redeems `code` with `verifier` as the demo client, which must succeed: the tokens.
    pub async fn redeemed(&self, code: &str, verifier: &CodeVerifier) -> TokenResponse {
        let response = self.redeem(code, verifier.secret()).await;
        assert_eq!(response.status(), StatusCode::OK, "the code is redeemed");
        response.json().await.expect("tokens")
    }

    /// Redeems `code` as the demo client.
    pub async fn redeem(&self, code: &str, verifier: &str) -> Response {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// Refreshes with `token` as the demo client.
    pub async fn refresh(&self, token: &str) -> Response {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", CLIENT_ID),
        ])
        .await
    }

    /// Asks `/introspect` about `token` as the resource server.
    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        let response = self
            .http
            .post(self.url("/introspect"))
            .basic_auth("resource-server", Some("resource-server-secret"))
            .form(&[("token", token)])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON")
    }

    /// `GET path`, which must answer 200 with JSON: the JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.http.get(self.url(path)).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.expect("JSON")
    }

    /// The published JWK Set.
    pub async fn jwks(&self) -> serde_json::Value {
        self.get_json("/jwks.json").await
    }

    /// The published key that verifies `token`, found by the token's `kid`, read from its
    /// JWK by `jsonwebtoken` (not by the server's code).
    pub async fn key_for(&self, token: &str) -> jsonwebtoken::DecodingKey {
        self.published_key_for(token).await.0
    }

    /// The published key that verifies `token`, and the algorithm the JWK names.
    pub async fn published_key_for(
        &self,
        token: &str,
    ) -> (jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm) {
        let header = jsonwebtoken::decode_header(token).expect("a JWT header");
        let jwks = self.jwks().await;
        let key = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"].as_str() == header.kid.as_deref())
            .expect("the token's kid is published")
            .clone();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key).expect("a JWK");
        let alg = jwk
            .common
            .key_algorithm
            .and_then(|alg| alg.to_string().parse().ok())
            .expect("the JWK names its algorithm");
        (
            jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a public key"),
            alg,
        )
    }

    /// Direct access to the database, to look at what the server stored.
    pub async fn db(&self) -> server_kit::db::Db {
        server_kit::db::Db::connect(&self.database_url)
            .await
            .expect("database opens")
    }
}

/// The lab's headless browser (`lab_cli::browser`) at a test server: keeps the session
/// cookie, follows nothing, and panics on a transport failure, as a test should.
/// A browser logged in on the clients page as `username`; returns its CSRF token.
pub async fn clients_session(browser: &mut Browser<'_>, username: &str, password: &str) -> String {
    let page = browser
        .get("/clients")
        .await
        .text()
        .await
        .expect("login page");
    let login = browser.log_in(&page, username, password).await;
    assert_eq!(location(&login), "/clients");
    let list = browser
        .get("/clients")
        .await
        .text()
        .await
        .expect("clients page");
    hidden(&list, "csrf_token")
}

pub struct Browser<'a> {
    app: &'a TestApp,
    inner: lab_cli::browser::Browser,
}

impl Browser<'_> {
    /// The same browser, its session cookie and all, talking to another server: a replica
    /// behind the same load balancer.
    pub fn switch_to<'b>(&self, app: &'b TestApp) -> Browser<'b> {
        Browser {
            app,
            inner: self.inner.switch_to(&app.address),
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.inner.get(path).await.expect("request sent")
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        self.inner.post(path, form).await.expect("request sent")
    }

    /// The `POST` of a form as [`Browser::post`] would send it, as if from `address` behind
    /// a trusted proxy (`X-Forwarded-For`), not yet sent: to send many at once.
    pub fn post_request_from(
        &self,
        address: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let request = self
            .inner
            .form_request(path, shared::form::form_encode(form))
            .header("x-forwarded-for", address);
        self.inner.with_cookies(request)
    }

    /// Submits the login page `html`, as if from `address` behind a trusted proxy.
    pub async fn log_in_from(
        &mut self,
        address: &str,
        html: &str,
        username: &str,
        password: &str,
    ) -> Response {
        let request_id = hidden(html, "request_id");
        let csrf = hidden(html, "csrf_token");
        let request = self.post_request_from(
            address,
            "/login",
            &[
                ("request_id", &request_id),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        );
        self.inner.send(request).await.expect("request sent")
    }

    /// `GET /authorize` with the demo client's request (`shared::client`) for `openid read
    /// write`, state `state-123` and `verifier`'s challenge, `changes` applied (a value of
    /// `None` drops the parameter).
    pub async fn authorize(
        &mut self,
        verifier: &CodeVerifier,
        changes: &[(&str, Option<&str>)],
    ) -> Response {
        let pending = demo_request(verifier, "openid read write");
        let params = client::authorization_params(&ClientConfig::demo(&self.app.issuer), &pending);
        let mut params: Vec<(&str, Option<&str>)> = params
            .iter()
            .map(|(name, value)| (*name, Some(value.as_str())))
            .collect();
        for (name, value) in changes {
            match params.iter_mut().find(|(n, _)| n == name) {
                Some(param) => param.1 = *value,
                None => params.push((name, *value)),
            }
        }
        let present: Vec<(&str, &str)> = params
            .into_iter()
            .filter_map(|(n, v)| v.map(|v| (n, v)))
            .collect();
        self.inner
            .authorize("/authorize", &present)
            .await
            .expect("request sent")
    }

    /// Submits the login page `html` with `username` and `password`.
    pub async fn log_in(&mut self, html: &str, username: &str, password: &str) -> Response {
        self.inner
            .log_in(html, username, password)
            .await
            .expect("request sent")
    }

    /// Logs in on the page `html`, opens the consent page and submits `decision`. If the
    /// user's approval is remembered there is no page: with `approve`, the redirect back it
    /// answers with is returned.
    pub async fn log_in_and_decide(
        &mut self,
        html: &str,
        username: &str,
        password: &str,
        decision: &str,
    ) -> Response {
        let login = self.log_in(html, username, password).await;
        assert_eq!(login.status(), StatusCode::SEE_OTHER, "login succeeds");
        let consent = self.get(&location(&login)).await;
        if consent.status() == StatusCode::FOUND && decision == "approve" {
            return consent;
        }
        assert_eq!(consent.status(), StatusCode::OK);
        let html = consent.text().await.expect("consent page");
        self.inner
            .decide(&html, decision)
            .await
            .expect("request sent")
    }

    /// For a browser already logged in: authorize → consent → approve; returns the code.
    /// No password check, so codes can be made by the hundred.
    pub async fn approve(&mut self, verifier: &CodeVerifier, scope: &str) -> String {
        let back = self
            .approve_request(verifier, &[("scope", Some(scope))])
            .await;
        redirect_params(&back)
            .get("code")
            .cloned()
            .expect("a code in the redirect")
    }

    /// For a browser already logged in: the demo client's request with `changes`, straight
    /// to consent, approved (or answered at once if consent is remembered); returns the
    /// redirect back.
    pub async fn approve_request(
        &mut self,
        verifier: &CodeVerifier,
        changes: &[(&str, Option<&str>)],
    ) -> Response {
        let authorize = self.authorize(verifier, changes).await;
        assert_eq!(
            authorize.status(),
            StatusCode::SEE_OTHER,
            "straight to consent"
        );
        let consent = self.get(&location(&authorize)).await;
        if consent.status() == StatusCode::FOUND {
            // Consent remembered from an earlier approval: the redirect back at once.
            return consent;
        }
        let html = consent.text().await.expect("consent page");
        self.inner
            .decide(&html, "approve")
            .await
            .expect("request sent")
    }
}

/// The demo client's authorization request for `scope` with state `state-123`, whose code
/// `verifier` redeems.
fn demo_request(verifier: &CodeVerifier, scope: &str) -> Pending {
    Pending {
        state: State::new("state-123"),
        ..Pending::with_verifier(
            CodeVerifier::parse(verifier.secret()).expect("a verifier"),
            ScopeSet::parse(scope).expect("scopes"),
        )
    }
}

/// Runs authorize → login → consent for `username` asking `scope`; returns the code.
pub async fn obtain_code(
    app: &TestApp,
    username: &str,
    password: &str,
    scope: &str,
    verifier: &CodeVerifier,
) -> String {
    let mut browser = app.browser();
    let page = browser.authorize(verifier, &[("scope", Some(scope))]).await;
    assert_eq!(page.status(), StatusCode::OK, "the login page is shown");
    let html = page.text().await.expect("login page");
    let back = browser
        .log_in_and_decide(&html, username, password, "approve")
        .await;
    let params = redirect_params(&back);
    params
        .get("code")
        .cloned()
        .expect("the redirect carries a code")
}

/// The value of the hidden form field `name` in `html`.
/// The value the clients page shows after `label` (`Client id: `, `Client secret: `), up to
/// the full stop after it.
pub fn shown_after(page: &str, label: &str) -> String {
    let start = page.find(label).expect(label) + label.len();
    page[start..]
        .split(|c: char| c == '.' || c.is_whitespace())
        .next()
        .expect("a value")
        .to_owned()
}

pub fn hidden(html: &str, name: &str) -> String {
    lab_cli::browser::hidden(html, name).unwrap_or_else(|| panic!("{name} field in {html}"))
}

pub fn location(response: &Response) -> String {
    lab_cli::browser::location(response)
        .unwrap_or_else(|| panic!("a Location header on {}", response.status()))
}

/// The query parameters of a redirect back to the client, checked to go to the client.
pub fn redirect_params(response: &Response) -> HashMap<String, String> {
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "a redirect back to the client"
    );
    let url = url::Url::parse(&location(response)).expect("an absolute URL");
    assert!(url.as_str().starts_with(REDIRECT_URI), "{url}");
    url.query_pairs().into_owned().collect()
}

/// The code in a redirect back to `redirect_uri` (a client's own, not the demo client's).
pub fn code_sent_to(response: &Response, redirect_uri: &str) -> String {
    assert_eq!(response.status(), StatusCode::FOUND, "a redirect back");
    let back = url::Url::parse(&location(response)).expect("a URL");
    assert!(back.as_str().starts_with(redirect_uri), "{back}");
    back.query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .expect("a code")
}

/// A racer's answer: its status and its `error` (empty for a success).
pub async fn outcome(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body: serde_json::Value = response.json().await.expect("a JSON answer");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Of the answers to racing uses of one single-use credential, exactly one succeeds and
/// every other is 400 `invalid_grant`: the database decides.
pub fn assert_one_winner(answers: &[(StatusCode, String)]) {
    let winners = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    assert_eq!(winners, 1, "exactly one wins: {answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, error)| *status == StatusCode::OK
                || (*status == StatusCode::BAD_REQUEST && error == "invalid_grant")),
        "every other racer gets invalid_grant: {answers:?}"
    );
}

pub async fn error_of(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    (
        status,
        body["error"].as_str().expect("an error code").to_owned(),
    )
}

/// Signs `claims` with the server's stored private key `kid`, as someone who stole the
/// database (or the key) could: to check what the server does with such a token.
pub async fn sign_with_stored_key(
    app: &TestApp,
    kid: &str,
    typ: &str,
    claims: &serde_json::Value,
) -> String {
    let db = app.db().await;
    let private: Vec<u8> = server_kit::with_db!(&db, pool => sqlx::query_scalar("SELECT private_pkcs8 FROM signing_keys WHERE kid = $1")
        .bind(kid)
        .fetch_one(pool)
        .await)
    .expect("the stored key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.typ = Some(typ.to_owned());
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_ed_der(&private),
    )
    .expect("signed")
}

/// The claims of a JWT, read without checking anything.
pub fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// `GET /userinfo` with `token`.
pub async fn userinfo(app: &TestApp, token: &str) -> Response {
    app.http
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

/// `secret` authenticates `client_id` at the token endpoint: with it, a made-up code is what
/// is wrong (`invalid_grant`); with another secret, the client is (`invalid_client`).
pub async fn assert_secret_authenticates(app: &TestApp, client_id: &str, secret: &str) {
    let attempt = |secret: &str| {
        app.http
            .post(app.url("/token"))
            .basic_auth(client_id, Some(secret.to_owned()))
            .form(&[("grant_type", "authorization_code"), ("code", "made-up")])
            .send()
    };
    let right = attempt(secret).await.expect("sent");
    assert_eq!(
        error_of(right).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    let wrong = attempt("not-the-secret").await.expect("sent");
    assert_eq!(
        error_of(wrong).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".into())
    );
}

/// Alice's tokens for `scope`, from the whole flow.
pub(crate) async fn alice_tokens(app: &TestApp, scope: &str) -> TokenResponse {
    app.tokens_for("alice", "password123", scope).await
}

/// The refresh token of `tokens`.
pub(crate) fn refresh_of(tokens: &TokenResponse) -> String {
    tokens
        .refresh_token
        .as_ref()
        .expect("a refresh token")
        .secret()
        .to_owned()
}

/// `grant_type=refresh_token` for the demo client, narrowed to `scope` if given.
pub(crate) async fn refresh(app: &TestApp, refresh_token: &str, scope: Option<&str>) -> Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", CLIENT_ID),
    ];
    form.extend(scope.map(|s| ("scope", s)));
    app.token(&form).await
}
