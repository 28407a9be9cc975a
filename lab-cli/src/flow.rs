//! The whole flow without a browser: discovery, PKCE, authorize, the login form, consent,
//! the redirect, the token exchange, a resource call, a refresh and a revocation. Each step
//! is timed and recorded, so a run can be narrated and written out as JSON.

use std::collections::HashMap;
use std::time::Instant;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde::Serialize;
use shared::{AuthorizationServerMetadata, CodeVerifier, Nonce, State, TokenResponse};

/// The SPA's client: the flow runs as the lab's public client.
pub const CLIENT_ID: &str = "demo-client";
pub const REDIRECT_URI: &str = "http://localhost:8080/callback";

/// The demo accounts and their passwords.
pub const DEMO_ACCOUNTS: [(&str, &str); 3] = [
    ("alice", "password123"),
    ("bob", "secret456"),
    ("carol", "mypass789"),
];

/// Where the servers are, and who logs in asking for what.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub auth_url: String,
    pub resource_url: String,
    pub username: String,
    pub password: String,
    pub scope: String,
}

/// One step of a run.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub step: &'static str,
    pub ok: bool,
    pub status: Option<u16>,
    pub millis: u128,
    pub detail: String,
}

/// A whole run for one account.
#[derive(Debug, Clone, Serialize)]
pub struct FlowReport {
    pub username: String,
    pub ok: bool,
    pub steps: Vec<StepResult>,
    /// The tokens of the exchange, to use afterwards (not serialized: they are secrets).
    #[serde(skip)]
    pub tokens: Option<TokenResponse>,
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct StepFailure(String);

/// Runs the flow; stops at the first failing step, which the report names.
pub async fn run(config: &FlowConfig) -> FlowReport {
    let mut runner = Runner {
        config,
        http: client(),
        steps: Vec::new(),
        cookie: None,
    };
    let tokens = runner.all_steps().await.ok();
    FlowReport {
        username: config.username.clone(),
        ok: tokens.is_some(),
        steps: runner.steps,
        tokens,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

struct Runner<'a> {
    config: &'a FlowConfig,
    http: reqwest::Client,
    steps: Vec<StepResult>,
    /// The authorization server's session cookie, as a browser would keep it.
    cookie: Option<String>,
}

impl Runner<'_> {
    async fn all_steps(&mut self) -> Result<TokenResponse, StepFailure> {
        let (metadata, code, verifier) = self.front_channel().await?;
        self.back_channel(&metadata, &code, &verifier).await
    }

    /// Discovery, then what the browser does: authorize, log in, consent, follow the
    /// redirect back; returns the code once state and iss check out.
    async fn front_channel(
        &mut self,
    ) -> Result<(AuthorizationServerMetadata, String, CodeVerifier), StepFailure> {
        let auth = self.config.auth_url.trim_end_matches('/').to_owned();
        let started = Instant::now();
        let metadata: AuthorizationServerMetadata = {
            let response = self
                .send(
                    self.http
                        .get(format!("{auth}/.well-known/oauth-authorization-server")),
                )
                .await;
            let response = self
                .expect("discovery", started, response, StatusCode::OK)
                .await?;
            serde_json::from_str(&response.1).map_err(|e| {
                self.fail(
                    "discovery",
                    started,
                    None,
                    format!("not a metadata document: {e}"),
                )
            })?
        };

        // PKCE, state and nonce, as the SPA makes them.
        let verifier = CodeVerifier::generate();
        let state = State::generate();
        let nonce = Nonce::generate();
        let started = Instant::now();
        let authorize = self.http.get(&metadata.authorization_endpoint).query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", self.config.scope.as_str()),
            ("state", state.secret()),
            ("nonce", nonce.secret()),
            ("code_challenge", verifier.challenge().as_str()),
            ("code_challenge_method", "S256"),
        ]);
        let response = self.send(authorize).await;
        let (_, login_page) = self
            .expect("authorize (login page)", started, response, StatusCode::OK)
            .await?;

        let started = Instant::now();
        let login = self.http.post(format!("{auth}/login")).form(&[
            ("request_id", field(&login_page, "request_id").as_str()),
            ("csrf_token", field(&login_page, "csrf_token").as_str()),
            ("username", self.config.username.as_str()),
            ("password", self.config.password.as_str()),
        ]);
        let response = self.send(login).await;
        let (location, _) = self
            .expect("login", started, response, StatusCode::SEE_OTHER)
            .await?;

        let started = Instant::now();
        let response = self.send(self.http.get(format!("{auth}{location}"))).await;
        let (_, consent_page) = self
            .expect("consent page", started, response, StatusCode::OK)
            .await?;

        let started = Instant::now();
        let decide = self.http.post(format!("{auth}/consent")).form(&[
            ("request_id", field(&consent_page, "request_id").as_str()),
            ("csrf_token", field(&consent_page, "csrf_token").as_str()),
            ("decision", "approve"),
        ]);
        let response = self.send(decide).await;
        let (location, _) = self
            .expect("consent (approve)", started, response, StatusCode::FOUND)
            .await?;

        // The redirect back: the checks a client must make before using the code.
        let started = Instant::now();
        let params: HashMap<String, String> = url::Url::parse(&location)
            .map(|url| url.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let code = if !params
            .get("state")
            .is_some_and(|s| state.constant_time_eq(s))
        {
            Err("the state in the redirect is not the one sent (CSRF)".to_owned())
        } else if params.get("iss") != Some(&metadata.issuer) {
            Err("the iss in the redirect is not the issuer (mix-up)".to_owned())
        } else {
            params
                .get("code")
                .cloned()
                .ok_or_else(|| format!("no code in the redirect: {location}"))
        };
        let code =
            code.map_err(|why| self.fail("redirect (state, iss, code)", started, None, why))?;
        self.record(
            "redirect (state, iss, code)",
            started,
            None,
            true,
            "state and iss match; got a code".to_owned(),
        );
        Ok((metadata, code, verifier))
    }

    /// What the client does with the code: exchange it with the verifier, call the resource
    /// server, refresh, revoke.
    async fn back_channel(
        &mut self,
        metadata: &AuthorizationServerMetadata,
        code: &str,
        verifier: &CodeVerifier,
    ) -> Result<TokenResponse, StepFailure> {
        let started = Instant::now();
        let exchange = self.http.post(&metadata.token_endpoint).form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier.secret()),
        ]);
        let response = self.send(exchange).await;
        let (_, body) = self
            .expect("token exchange (PKCE)", started, response, StatusCode::OK)
            .await?;
        let tokens: TokenResponse = serde_json::from_str(&body).map_err(|e| {
            self.fail(
                "token exchange (PKCE)",
                started,
                None,
                format!("not a token response: {e}"),
            )
        })?;

        let started = Instant::now();
        let resource = self.config.resource_url.trim_end_matches('/');
        let call = self
            .http
            .get(format!("{resource}/api/profile"))
            .bearer_auth(tokens.access_token.secret());
        let response = self.send(call).await;
        self.expect(
            "resource call (GET /api/profile)",
            started,
            response,
            StatusCode::OK,
        )
        .await?;

        let refresh_token = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.secret().to_owned())
            .unwrap_or_default();
        let started = Instant::now();
        let refresh = self.http.post(&metadata.token_endpoint).form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", CLIENT_ID),
        ]);
        let response = self.send(refresh).await;
        let (_, body) = self
            .expect("refresh (rotation)", started, response, StatusCode::OK)
            .await?;
        let refreshed: TokenResponse = serde_json::from_str(&body).map_err(|e| {
            self.fail(
                "refresh (rotation)",
                started,
                None,
                format!("not a token response: {e}"),
            )
        })?;

        let newest = refreshed
            .refresh_token
            .as_ref()
            .map(|t| t.secret().to_owned())
            .unwrap_or_default();
        let revocation_endpoint = metadata
            .revocation_endpoint
            .clone()
            .unwrap_or_else(|| format!("{}/revoke", metadata.issuer));
        let started = Instant::now();
        let revoke = self.http.post(revocation_endpoint).form(&[
            ("token", newest.as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", CLIENT_ID),
        ]);
        let response = self.send(revoke).await;
        self.expect("revocation", started, response, StatusCode::OK)
            .await?;
        Ok(tokens)
    }

    /// Sends with the session cookie and keeps any new one, like a browser.
    async fn send(&mut self, request: reqwest::RequestBuilder) -> Result<Response, reqwest::Error> {
        let request = match &self.cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        };
        let response = request.send().await?;
        if let Some(pair) = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
        {
            self.cookie = Some(pair.to_owned());
        }
        Ok(response)
    }

    /// Records `step` as passed if the response has `expected` status; returns its
    /// `Location` and body.
    async fn expect(
        &mut self,
        step: &'static str,
        started: Instant,
        response: Result<Response, reqwest::Error>,
        expected: StatusCode,
    ) -> Result<(String, String), StepFailure> {
        let response =
            response.map_err(|e| self.fail(step, started, None, format!("no answer: {e}")))?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.unwrap_or_default();
        if status != expected {
            let excerpt: String = body.chars().take(300).collect();
            return Err(self.fail(
                step,
                started,
                Some(status),
                format!("expected {expected}, got {status}: {excerpt}"),
            ));
        }
        self.record(step, started, Some(status), true, format!("{status}"));
        Ok((location, body))
    }

    fn record(
        &mut self,
        step: &'static str,
        started: Instant,
        status: Option<StatusCode>,
        ok: bool,
        detail: String,
    ) {
        self.steps.push(StepResult {
            step,
            ok,
            status: status.map(|s| s.as_u16()),
            millis: started.elapsed().as_millis(),
            detail,
        });
    }

    fn fail(
        &mut self,
        step: &'static str,
        started: Instant,
        status: Option<StatusCode>,
        why: String,
    ) -> StepFailure {
        self.record(step, started, status, false, why.clone());
        StepFailure(why)
    }
}

/// The value of the hidden form field `name` in `html` (empty if absent).
fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.find(&marker)
        .map(|start| {
            html[start + marker.len()..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default()
}
