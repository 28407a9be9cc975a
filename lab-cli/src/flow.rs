//! The whole flow without a browser: discovery, PKCE, authorize, the login form, consent,
//! the redirect, the token exchange, a resource call, a refresh and a revocation. Each step
//! is timed and recorded, so a run can be narrated and written out as JSON.

use std::time::Instant;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use shared::client::{self, ClientConfig, Pending};
use shared::{AuthorizationCode, AuthorizationServerMetadata, ScopeSet, TokenResponse};

use crate::browser::{self, Browser, BrowserError};
use crate::traces;

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
    /// What the server checked to answer this step, in order (with `--lab-traces` on the
    /// server; empty otherwise, and for the client's own checks).
    pub checks: Vec<shared::trace::Check>,
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
        browser: Browser::new(&config.auth_url),
        steps: Vec::new(),
    };
    let tokens = runner.all_steps().await.ok();
    FlowReport {
        username: config.username.clone(),
        ok: tokens.is_some(),
        steps: runner.steps,
        tokens,
    }
}

struct Runner<'a> {
    config: &'a FlowConfig,
    /// The user's browser at the authorization server; the client's calls go through it
    /// too (they carry no cookie the servers read).
    browser: Browser,
    steps: Vec<StepResult>,
}

impl Runner<'_> {
    async fn all_steps(&mut self) -> Result<TokenResponse, StepFailure> {
        let (metadata, code, pending) = self.front_channel().await?;
        self.back_channel(&metadata, &code, &pending).await
    }

    /// Discovery, then what the browser does: authorize, log in, consent, follow the
    /// redirect back; returns the code once state and iss check out.
    async fn front_channel(
        &mut self,
    ) -> Result<(AuthorizationServerMetadata, AuthorizationCode, Pending), StepFailure> {
        let started = Instant::now();
        let response = self
            .browser
            .get("/.well-known/oauth-authorization-server")
            .await;
        let (_, body) = self
            .expect("discovery", started, response, StatusCode::OK)
            .await?;
        let metadata: AuthorizationServerMetadata = serde_json::from_str(&body).map_err(|e| {
            self.fail(
                "discovery",
                started,
                None,
                format!("not a metadata document: {e}"),
            )
        })?;

        // PKCE, state and nonce, as the SPA makes them.
        let started = Instant::now();
        let scope = ScopeSet::parse(&self.config.scope)
            .map_err(|e| self.fail("authorize (login page)", started, None, e.to_string()))?;
        let pending = Pending::generate(scope);
        let config = ClientConfig::demo(&metadata.issuer);
        let response = self
            .browser
            .open(&metadata.authorization_endpoint, &config, &pending)
            .await;
        let (_, login_page) = self
            .expect("authorize (login page)", started, response, StatusCode::OK)
            .await?;

        let started = Instant::now();
        let response = self
            .browser
            .log_in(&login_page, &self.config.username, &self.config.password)
            .await;
        let (location, _) = self
            .expect("login", started, response, StatusCode::SEE_OTHER)
            .await?;

        let started = Instant::now();
        let response = self.browser.get(&location).await;
        // A user who approved this client before is not asked again: the consent step
        // answers with the redirect back at once (consent remembered).
        let remembered = response
            .as_ref()
            .is_ok_and(|response| response.status() == StatusCode::FOUND);
        let location = if remembered {
            let (location, _) = self
                .expect("consent (remembered)", started, response, StatusCode::FOUND)
                .await?;
            location
        } else {
            let (_, consent_page) = self
                .expect("consent page", started, response, StatusCode::OK)
                .await?;
            let started = Instant::now();
            let response = self.browser.decide(&consent_page, "approve").await;
            let (location, _) = self
                .expect("consent (approve)", started, response, StatusCode::FOUND)
                .await?;
            location
        };

        // The redirect back: the checks a client must make before using the code.
        let started = Instant::now();
        let query = location.split_once('?').map_or("", |(_, query)| query);
        let code = client::check_callback(query, Some(&pending), &config).map_err(|refusal| {
            self.fail(
                "redirect (state, iss, code)",
                started,
                None,
                refusal.to_string(),
            )
        })?;
        self.record(
            "redirect (state, iss, code)",
            started,
            None,
            true,
            "state and iss match; got a code".to_owned(),
        );
        Ok((metadata, code, pending))
    }

    /// What the client does with the code: exchange it with the verifier, call the resource
    /// server, refresh, revoke.
    async fn back_channel(
        &mut self,
        metadata: &AuthorizationServerMetadata,
        code: &AuthorizationCode,
        pending: &Pending,
    ) -> Result<TokenResponse, StepFailure> {
        let config = ClientConfig::demo(&metadata.issuer);
        let started = Instant::now();
        let exchange = self.browser.form_request(
            &metadata.token_endpoint,
            client::token_request_body(&config, code, &pending.code_verifier),
        );
        let response = self.browser.send(exchange).await;
        let tokens = self
            .token_response("token exchange (PKCE)", started, response)
            .await?;

        let started = Instant::now();
        let resource = self.config.resource_url.trim_end_matches('/');
        let call = self
            .browser
            .request(Method::GET, &format!("{resource}/api/profile"))
            .bearer_auth(tokens.access_token.secret());
        let response = self.browser.send(call).await;
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
        let refresh = self.browser.form_request(
            &metadata.token_endpoint,
            client::refresh_request_body(&config, &refresh_token),
        );
        let response = self.browser.send(refresh).await;
        let refreshed = self
            .token_response("refresh (rotation)", started, response)
            .await?;

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
        let revoke = self.browser.form_request(
            &revocation_endpoint,
            client::revocation_request_body(&config, &newest, "refresh_token"),
        );
        let response = self.browser.send(revoke).await;
        self.expect("revocation", started, response, StatusCode::OK)
            .await?;
        Ok(tokens)
    }

    /// Records `step` as passed if the response is a 200 token response, and returns it.
    async fn token_response(
        &mut self,
        step: &'static str,
        started: Instant,
        response: Result<reqwest::Response, BrowserError>,
    ) -> Result<TokenResponse, StepFailure> {
        let (_, body) = self.expect(step, started, response, StatusCode::OK).await?;
        serde_json::from_str(&body)
            .map_err(|e| self.fail(step, started, None, format!("not a token response: {e}")))
    }

    /// Records `step` as passed if the response has `expected` status; returns its
    /// `Location` and body.
    async fn expect(
        &mut self,
        step: &'static str,
        started: Instant,
        response: Result<reqwest::Response, BrowserError>,
        expected: StatusCode,
    ) -> Result<(String, String), StepFailure> {
        let checked = match response {
            Ok(response) => browser::expect(step, response, expected).await,
            Err(unreachable) => Err(unreachable),
        };
        let response = checked.map_err(|why| {
            let status = match &why {
                BrowserError::Unexpected { status, .. } => Some(*status),
                _ => None,
            };
            self.fail(step, started, status, why.to_string())
        })?;
        let status = response.status();
        let location = browser::location(&response).unwrap_or_default();
        let trace = traces::trace_url(&response);
        let body = response.text().await.unwrap_or_default();
        self.record(step, started, Some(status), true, format!("{status}"));
        if let Some(url) = trace
            && let Some(trace) = traces::fetch(self.browser.request(Method::GET, &url)).await
            && let Some(step) = self.steps.last_mut()
        {
            step.checks = trace.checks;
        }
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
            checks: Vec::new(),
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
