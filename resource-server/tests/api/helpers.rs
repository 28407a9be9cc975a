//! Starts both servers and gets tokens the way a client does: authorize, log in, consent,
//! redeem the code with its PKCE verifier.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lab_cli::browser::Browser;
use reqwest::{Response, StatusCode};
use server_kit::db::Db;
use server_kit::with_db;
use shared::client::{self, ClientConfig, Pending};
use shared::form::form_encode;
use shared::jwt::SigningAlg;
use shared::{ScopeSet, TokenResponse, demo};

pub const AUDIENCE: &str = "http://localhost:8082";
/// The MCP endpoint's resource identifier: the API's origin and `/mcp`.
pub const MCP: &str = "http://localhost:8082/mcp";

pub struct Lab {
    pub auth: String,
    pub issuer: String,
    pub resource: String,
    pub http: reqwest::Client,
    auth_db: String,
    data: tempfile::TempDir,
}

pub async fn spawn_lab() -> Lab {
    spawn_lab_with(|_| {}).await
}

/// Both servers, the resource server's configuration changed by `tweak`.
pub async fn spawn_lab_with(tweak: impl FnOnce(&mut resource_server::config::Config)) -> Lab {
    let data = tempfile::tempdir().expect("a temporary directory");
    let auth_db = server_kit::testing::fresh_database(data.path(), "auth").await;
    // The real defaults, as the command line gives them, adjusted for a test.
    let mut auth_config = <auth_server::config::Config as clap::Parser>::parse_from([
        "auth-server",
        "--addr",
        "127.0.0.1:0",
        "--default-resource",
        AUDIENCE,
    ]);
    auth_config.database_url.clone_from(&auth_db);
    auth_config.spa_origins = vec![];
    let auth = auth_server::startup::Application::build(auth_config)
        .await
        .expect("the authorization server starts");
    let auth_address = format!("http://{}", auth.local_addr());
    let issuer = auth.issuer().to_owned();
    tokio::spawn(auth.run_until_stopped());

    let resource_address = start_resource_server(&issuer, data.path(), "resource", tweak).await;

    Lab {
        auth: auth_address,
        issuer,
        resource: resource_address,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client"),
        auth_db,
        data,
    }
}

/// A resource server for `issuer` with a new database (`name`) in `data`, its
/// configuration changed by `tweak`, ready: its address.
async fn start_resource_server(
    issuer: &str,
    data: &std::path::Path,
    name: &str,
    tweak: impl FnOnce(&mut resource_server::config::Config),
) -> String {
    let mut config = <resource_server::config::Config as clap::Parser>::parse_from([
        "resource-server",
        "--addr",
        "127.0.0.1:0",
        "--issuer",
        issuer,
        "--audience",
        AUDIENCE,
        "--spa-origin",
        "http://localhost:8080",
    ]);
    config.database_url = server_kit::testing::fresh_database(data, name).await;
    tweak(&mut config);
    let resource = resource_server::startup::Application::build(config)
        .await
        .expect("the resource server starts");
    let address = format!("http://{}", resource.local_addr());
    let ready = resource.ready();
    tokio::spawn(resource.run_until_stopped());
    ready.wait().await;
    address
}

impl Lab {
    /// A second resource server for the same authorization server, started now (as one
    /// restarted would be): its address.
    pub async fn another_resource_server(&self) -> String {
        start_resource_server(&self.issuer, self.data.path(), "resource2", |_| {}).await
    }

    /// Logs `username` in through the real authorization code flow (the lab's headless
    /// browser and `shared::client`, as `oauth-lab flow` does) and returns the tokens.
    pub async fn tokens_for(&self, username: &str, password: &str, scope: &str) -> TokenResponse {
        self.tokens_for_resource(username, password, scope, None)
            .await
    }

    /// [`Lab::tokens_for`], the tokens asked for `resource` (RFC 8707) when one is named.
    pub async fn tokens_for_resource(
        &self,
        username: &str,
        password: &str,
        scope: &str,
        resource: Option<&str>,
    ) -> TokenResponse {
        let config = ClientConfig::demo(&self.issuer);
        let pending = Pending::generate(ScopeSet::parse(scope).expect("scopes"));
        let mut params = client::authorization_params(&config, &pending);
        params.extend(resource.map(|resource| ("resource", resource.to_owned())));
        let mut browser = Browser::new(&self.auth);
        let page = browser
            .authorize("/authorize", &params)
            .await
            .expect("authorize");
        let back = browser
            .log_in_and_approve(page, (username, password))
            .await
            .unwrap_or_else(|why| panic!("a code for {username}: {why}"));
        let query = back.split_once('?').map_or("", |(_, query)| query);
        let code = client::check_callback(query, Some(&pending), &config).expect("a code");
        let mut body = client::token_request_body(&config, &code, &pending.code_verifier);
        if let Some(resource) = resource {
            body.push('&');
            body.push_str(&form_encode([("resource", resource)]));
        }
        let response = self
            .http
            .post(format!("{}/token", self.auth))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("token");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("a token response")
    }

    /// Revokes `token` at the authorization server as the demo client.
    pub async fn revoke(&self, token: &str) {
        let response = self
            .http
            .post(format!("{}/revoke", self.auth))
            .form(&[("token", token), ("client_id", demo::CLIENT_ID)])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// An access token for alice with `scope`, for the MCP endpoint.
    pub async fn mcp_token(&self, scope: &str) -> String {
        let (alice, password) = demo::ACCOUNTS[0];
        self.tokens_for_resource(alice, password, scope, Some(MCP))
            .await
            .access_token
            .secret()
            .to_owned()
    }

    /// An access token for alice with `scope`.
    pub async fn token(&self, scope: &str) -> String {
        let (alice, password) = demo::ACCOUNTS[0];
        self.tokens_for(alice, password, scope)
            .await
            .access_token
            .secret()
            .to_owned()
    }

    /// `method path` on the resource server with an optional bearer token.
    pub async fn call(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> Response {
        let request = self
            .http
            .request(method, format!("{}{path}", self.resource));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.call(reqwest::Method::GET, path, token).await
    }

    /// The authorization server's EdDSA signing key, read from its database: what an
    /// attacker would need, and what tests use to forge tokens that differ in one claim
    /// only.
    pub async fn signing_key(&self) -> (String, EncodingKey, Vec<u8>) {
        self.signing_key_of(SigningAlg::EdDSA).await
    }

    /// The authorization server's signing key of `alg`: its id, the private key, and the
    /// public key as stored.
    pub async fn signing_key_of(&self, alg: SigningAlg) -> (String, EncodingKey, Vec<u8>) {
        let db = Db::connect(&self.auth_db).await.expect("database");
        let (kid, private, public): (String, Vec<u8>, Vec<u8>) = with_db!(&db, pool =>
            sqlx::query_as("SELECT kid, private_pkcs8, public_key FROM signing_keys WHERE alg = $1 ORDER BY created_at DESC LIMIT 1")
                .bind(alg.as_str())
                .fetch_one(pool)
                .await)
            .expect("a signing key");
        let key = match alg {
            SigningAlg::EdDSA => EncodingKey::from_ed_der(&private),
            SigningAlg::ES256 => EncodingKey::from_ec_der(&private),
            SigningAlg::RS256 => {
                // jsonwebtoken reads an RSA key as PKCS#1.
                use rsa::pkcs1::EncodeRsaPrivateKey as _;
                use rsa::pkcs8::DecodePrivateKey as _;
                let key = rsa::RsaPrivateKey::from_pkcs8_der(&private).expect("an RSA key");
                EncodingKey::from_rsa_der(key.to_pkcs1_der().expect("PKCS#1").as_bytes())
            }
        };
        (kid, key, public)
    }

    /// Adds a new key to the authorization server (a key rotation) and returns it.
    pub async fn rotate_key(&self, kid: &str) -> EncodingKey {
        let key = SigningKey::from_bytes(&shared::random::bytes());
        let private = key.to_pkcs8_der().expect("PKCS#8");
        let db = Db::connect(&self.auth_db).await.expect("database");
        with_db!(&db, pool => sqlx::query("INSERT INTO signing_keys (kid, private_pkcs8, public_key, created_at) VALUES ($1, $2, $3, $4)")
            .bind(kid)
            .bind(private.as_bytes())
            .bind(key.verifying_key().to_bytes().to_vec())
            .bind(server_kit::unix_now())
            .execute(pool)
            .await
            .map(drop))
        .expect("inserted");
        EncodingKey::from_ed_der(private.as_bytes())
    }

    /// Removes the key `kid` from the authorization server's published set, as its
    /// retirement after a rotation does.
    pub async fn unpublish_key(&self, kid: &str) {
        let db = Db::connect(&self.auth_db).await.expect("database");
        with_db!(&db, pool => sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .execute(pool)
            .await
            .map(drop))
        .expect("deleted");
    }

    /// Valid claims for an access token for this lab, to change one at a time.
    pub fn claims(&self, scope: &str) -> serde_json::Value {
        let now = server_kit::unix_now();
        serde_json::json!({
            "iss": self.issuer,
            "sub": "forged-subject",
            "aud": AUDIENCE,
            "exp": now + 300,
            "iat": now,
            "jti": "forged",
            "client_id": demo::CLIENT_ID,
            "scope": scope,
        })
    }
}

/// `token` with one bit of its signature flipped.
pub fn with_broken_signature(token: &str) -> String {
    let (head, signature) = token.rsplit_once('.').expect("three parts");
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("base64");
    bytes[0] ^= 0x01;
    format!("{head}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Signs `claims` with `key` as an access token (`typ: at+jwt`, EdDSA) under `kid`.
pub fn sign(claims: &serde_json::Value, kid: &str, key: &EncodingKey) -> String {
    sign_as(Algorithm::EdDSA, claims, kid, key)
}

/// Signs `claims` with `key` as an access token of `alg` under `kid`.
pub fn sign_as(alg: Algorithm, claims: &serde_json::Value, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("signed")
}

/// Status, `WWW-Authenticate` and JSON body of a response.
pub async fn answer(response: Response) -> (StatusCode, String, serde_json::Value) {
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (
        status,
        challenge,
        response.json().await.expect("a JSON body"),
    )
}
