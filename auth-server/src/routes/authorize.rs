//! `GET /authorize` and `POST /authorize` (RFC 6749 §4.1.1, RFC 7636 §4.3, OAuth 2.1
//! §4.1.1; OIDC Core §3.1.2.1: the endpoint "MUST support the use of the HTTP GET and POST
//! methods", the parameters then in a form body). Both run the same checks.
//!
//! The checks run in the order of [`authorize`]; that order is the security argument.
//! Until the client and its redirect URI are known to be genuine, an error is a page on this
//! server: redirecting to an unchecked URI would make the server an open redirector
//! (RFC 6749 §4.1.2.1, RFC 9700 §4.11). After that, errors go back to the client's
//! redirect URI with `state` and `iss`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use server_kit::trace::{Check, Recorder};
use shared::pkce::CodeChallengeMethod;
use shared::{AuthorizationErrorCode, CodeChallenge, RedirectUri, ScopeSet};

use crate::config::ClientDocuments;
use crate::error::Internal;
use crate::model::Client;
use crate::model::Finding;
use crate::model::finding;
use crate::pages::{self, ClientIdentity, ErrorPage, LoginPage, PageError};
use crate::protocol::client_document;
use crate::protocol::client_metadata::{self, redirect_uri_matches};
use crate::routes::address::ClientAddress;
use crate::routes::form;
use crate::routes::page_flow::see_other;
use crate::routes::redirect::{AuthorizationRedirect, ErrorRedirect};
use crate::routes::{consent, session};
use crate::state::AppState;
use crate::store::{self, PendingRequest, Session};

/// How long the user has to log in and consent.
const REQUEST_TTL_SECS: i64 = 10 * 60;

/// The scope a client gets when it asks for none (RFC 6749 §3.3 lets the server pick a
/// documented default).
const DEFAULT_SCOPE: &str = "read";

pub(crate) async fn authorize(
    State(state): State<AppState>,
    trace: Recorder,
    address: ClientAddress,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    match handle(&state, &trace, jar, address, query.as_deref().unwrap_or("")).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// `POST /authorize`: the parameters form-encoded in the body (OIDC Core §3.1.2.1), checked
/// exactly as those of a `GET`.
pub(crate) async fn authorize_form(
    State(state): State<AppState>,
    trace: Recorder,
    address: ClientAddress,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    body: String,
) -> Response {
    if !form::is_form(&headers) {
        return page(
            "Malformed request",
            "An authorization request sent with POST carries its parameters as a form (Content-Type application/x-www-form-urlencoded).",
        )
        .into_response();
    }
    match handle(&state, &trace, jar, address, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(
    state: &AppState,
    trace: &Recorder,
    jar: CookieJar,
    address: ClientAddress,
    raw_query: &str,
) -> Result<Response, AuthorizeError> {
    let query = trace.check(&QUERY, Query::parse(raw_query))?;
    // The SPA finds this request's trace, and those of its login and consent, by `state`:
    // one the length check will accept (a longer one is refused, and not kept).
    if let Some(state) = query.get("state").filter(|s| s.len() <= MAX_OPAQUE_BYTES) {
        trace.key("state", state);
    }
    // 1-2: who is asking, and where the answer goes. Failures here are pages.
    let client = trace.check(&CLIENT, check_client(state, &query, address).await)?;
    let redirect_uri = trace.check(&REDIRECT_URI, check_redirect_uri(&client, &query))?;
    // From here on the redirect URI is the client's own: errors go back to it. For a client
    // anyone could have registered, not automatically: RFC 9700 §4.11.2 (the server "MAY
    // decide to only automatically redirect the user agent to a trusted redirect URI") and
    // §4.18 (phishing through dynamically registered clients). Such an error is a page with
    // a link the user may follow, so the server is nobody's open redirector.
    let back = ErrorRedirect {
        redirect_uri: redirect_uri.clone(),
        state: query.get("state").map(str::to_owned),
        issuer: state.settings.issuer.clone(),
        ask_first: client.self_registered,
    };
    let refuse =
        |(code, description): Refusal| AuthorizeError::Redirect(back.with(code, description));
    // The client's report: what this request shows of it, whether or not it goes on.
    record_findings(state, &client, &query).await?;
    // 3-9: what is asked for.
    trace
        .check_by(&NO_REPEATS, check_no_repeated_parameter(&query), says)
        .map_err(refuse)?;
    trace
        .check_by(&LENGTHS, check_lengths(&query), says)
        .map_err(refuse)?;
    trace
        .check_by(&RESPONSE_TYPE, check_response_type(&query), says)
        .map_err(refuse)?;
    let challenge = trace
        .check_by(&PKCE, check_pkce(&query), says)
        .map_err(refuse)?;
    let scope = trace
        .check_by(&SCOPE, check_scope(&client, &query), says)
        .map_err(refuse)?;
    let resource = check_resource(state, &query, &scope).await?;
    let resource = trace.check_by(&RESOURCE, resource, says).map_err(refuse)?;
    let prompt = trace
        .check_by(&PROMPT, check_prompt(&query), says)
        .map_err(refuse)?;
    let max_age = trace
        .check_by(&MAX_AGE, check_max_age(&query), says)
        .map_err(refuse)?;
    tracing::info!(
        client = %client.client_id,
        redirect_uri = ?redirect_uri.as_str(),
        scope = %scope,
        "authorize: request passed every check"
    );

    let mut request = PendingRequest {
        id: shared::random::token(),
        client_id: client.client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scope: scope.to_string(),
        state: back.state.clone(),
        code_challenge: challenge.as_str().to_owned(),
        nonce: query.get("nonce").map(str::to_owned),
        resource,
        prompt_consent: prompt.consent,
        login_required: false,
    };
    trace.key("request_id", &request.id);

    // 10: the user. Log in first if this browser has no logged-in session, or if the
    // client asks for a new login (`prompt=login`, `select_account`) or for one more recent
    // than `max_age` seconds (OIDC Core §3.1.2.1: the server "MUST attempt to actively
    // re-authenticate"; `max_age=0` always does); then consent, unless it is remembered
    // (`consent::remembered`). With `prompt=none` nothing may be shown (§3.1.2.6): a code
    // at once if the login will do and consent is remembered, otherwise an error at once.
    if prompt.none {
        return answer_at_once(
            state, trace, &jar, &client, &request, &prompt, max_age, &back,
        )
        .await;
    }
    let (session, new_cookie) = session::current_or_new(state, &jar).await?;
    // When the login page is shown, it is the only way on: the request records that
    // consent must wait for a login made after it, so opening `/consent?request_id=…`
    // with the old session cannot skip the login (OIDC Core §3.1.2.1: "MUST attempt to
    // actively re-authenticate").
    let login_will_do = login_will_do(&session, &prompt, max_age);
    request.login_required = !login_will_do;
    store::insert_request(&state.db, &session.id_hash, &request, REQUEST_TTL_SECS).await?;
    let jar = match new_cookie {
        Some(cookie) => jar.add(cookie),
        None => jar,
    };
    let next = if login_will_do {
        trace.passed(&USER, || {
            "The user is logged in, recently enough for this request: on to consent.".to_owned()
        });
        tracing::info!(client = %client.client_id, "authorize: user already logged in; asking for consent");
        see_other(&format!("/consent?request_id={}", request.id))
    } else {
        trace.passed(&USER, || {
            "Nobody is logged in in this browser, or the client asked for a new login: the login page.".to_owned()
        });
        tracing::info!(client = %client.client_id, "authorize: no session, or a new login asked for; showing the login page");
        let client = ClientIdentity::new(&client, &request.redirect_uri);
        // OIDC Core §3.1.2.1: `login_hint`, the login identifier the user might use,
        // fills in the username (the user may change it; it proves nothing).
        let page = LoginPage {
            client: Some(&client),
            request_id: &request.id,
            csrf_token: &session.csrf_token,
            username: query.get("login_hint").unwrap_or(""),
            error: None,
        };
        pages::render(StatusCode::OK, &page)?
    };
    Ok((jar, next).into_response())
}

const QUERY: Check = Check::new(
    "query",
    "RFC 6749 §4.1.1",
    "The query string is readable form-encoded parameters.",
);
const CLIENT: Check = Check::new(
    "client",
    "RFC 6749 §4.1.2.1",
    "client_id names a client registered here (or a client metadata document that passes its checks).",
);
const REDIRECT_URI: Check = Check::new(
    "redirect_uri_exact",
    "OAuth 2.1 §2.3.1",
    "redirect_uri is, character for character, one the client registered: errors may now go back to it.",
);
const NO_REPEATS: Check = Check::new(
    "no_repeated_parameter",
    "RFC 6749 §3.1",
    "No parameter appears twice.",
);
const LENGTHS: Check = Check::new(
    "lengths",
    "RFC 6749 §10.10",
    "state, nonce and login_hint are at most 512 bytes.",
);
const RESPONSE_TYPE: Check = Check::new(
    "response_type",
    "OAuth 2.1 §4.1.1",
    "response_type is code (the implicit grant is gone).",
);
const PKCE: Check = Check::new(
    "pkce_challenge",
    "RFC 7636 §4.3",
    "A code_challenge with method S256 came along: the token request will have to prove it.",
);
const SCOPE: Check = Check::new(
    "scope",
    "RFC 6749 §3.3",
    "Every scope is known, and the client may ask for what it keeps.",
);
const RESOURCE: Check = Check::new(
    "resource",
    "RFC 8707 §2",
    "The token will be for a resource this server knows, which understands the scopes asked for.",
);
const PROMPT: Check = Check::new(
    "prompt",
    "OIDC Core §3.1.2.1",
    "prompt, if any, holds none, login, consent or select_account (none alone).",
);
const MAX_AGE: Check = Check::new(
    "max_age",
    "OIDC Core §3.1.2.1",
    "max_age, if any, is a number of seconds.",
);
const USER: Check = Check::new(
    "user",
    "OIDC Core §3.1.2.3",
    "Who the user is decides what comes next: login, consent, or a code at once.",
);

/// 10 with `prompt=none` (OIDC Core §3.1.2.6): nothing may be shown, so a code at once if
/// the login will do and consent is remembered, otherwise an error at once.
#[expect(
    clippy::too_many_arguments,
    reason = "the checked request, as `handle` holds it"
)]
async fn answer_at_once(
    state: &AppState,
    trace: &Recorder,
    jar: &CookieJar,
    client: &Client,
    request: &PendingRequest,
    prompt: &Prompt,
    max_age: Option<i64>,
    back: &ErrorRedirect,
) -> Result<Response, AuthorizeError> {
    // Read only: a browser without a session gets an error, not a session row.
    let current = session::current(state, jar).await?;
    let Some(session) = current.filter(|session| login_will_do(session, prompt, max_age)) else {
        let refusal = (
            AuthorizationErrorCode::LoginRequired,
            "prompt=none, but the user would have to log in".to_owned(),
        );
        trace.refused(&USER, || says(&refusal));
        return Err(AuthorizeError::Redirect(back.with(refusal.0, refusal.1)));
    };
    let user = match session.user_id.as_deref() {
        Some(user_id) => store::find_user(&state.db, user_id).await?,
        None => None,
    };
    if let Some(user) = user
        && let Some(granted) = consent::remembered(state, client, &user, request).await?
    {
        trace.passed(&USER, || {
            "prompt=none: logged in, and the user approved these scopes before; a code goes back at once".to_owned()
        });
        tracing::info!(client = %client.client_id, "authorize: prompt=none, logged in and consent remembered; sending a code at once");
        let auth_time = session.auth_time.unwrap_or_else(server_kit::unix_now);
        return Ok(consent::send_code(state, trace, request, &user, &granted, auth_time).await?);
    }
    let refusal = (
        AuthorizationErrorCode::ConsentRequired,
        "prompt=none, but the user has not approved these scopes for this client before (or this client cannot have its consent remembered)".to_owned(),
    );
    trace.refused(&USER, || says(&refusal));
    Err(AuthorizeError::Redirect(back.with(refusal.0, refusal.1)))
}

/// The client's report (`protocol/findings.rs`): what this request shows of its PKCE and
/// `resource`, whether or not it goes on.
async fn record_findings(state: &AppState, client: &Client, query: &Query) -> Result<(), Internal> {
    let graded = finding::of_authorization_request(
        query.get("code_challenge"),
        query.get("code_challenge_method"),
        query.get("resource"),
    );
    for finding in graded {
        let detail = match finding {
            Finding::ResourceNotCanonical => query.get("resource").unwrap_or_default(),
            _ => "",
        };
        store::record_finding(&state.db, client.client_id.as_str(), finding, detail).await?;
    }
    Ok(())
}

/// The query string as name/value pairs, in order, repeats kept (so they can be refused).
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: &str) -> Result<Self, AuthorizeError> {
        serde_urlencoded::from_str(raw).map(Self).map_err(|_| {
            AuthorizeError::Page(
                ErrorPage::new(StatusCode::BAD_REQUEST, "Malformed request", "The query string of this authorization request cannot be read.")
                    .rule("RFC 6749 §4.1.2.1: without a readable client_id and redirect_uri the server must not redirect."),
            )
        })
    }

    /// The first value of `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn is_repeated(&self, name: &str) -> bool {
        self.0.iter().filter(|(n, _)| n == name).count() > 1
    }

    fn first_repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| self.is_repeated(n))
    }
}

/// An error shown on this server's own page, never redirected.
fn page(title: &'static str, message: impl Into<String>) -> AuthorizeError {
    AuthorizeError::Page(
        ErrorPage::new(StatusCode::BAD_REQUEST, title, message).rule(
            "RFC 6749 §4.1.2.1: when the client or its redirect URI cannot be trusted, the authorization server must not redirect the browser to it; it tells you here instead.",
        ),
    )
}

/// 1. `client_id` names a registered client, or is the URL of a client metadata document
///    that passes the checks of `protocol/client_document.rs`.
async fn check_client(
    state: &AppState,
    query: &Query,
    address: ClientAddress,
) -> Result<Client, AuthorizeError> {
    if query.is_repeated("client_id") {
        return Err(page("Invalid client", "client_id appears more than once."));
    }
    let Some(client_id) = query.get("client_id") else {
        return Err(page("Invalid client", "The request has no client_id."));
    };
    if client_document::is_document_url(client_id) {
        if state.settings.client_metadata_documents == ClientDocuments::Off {
            return Err(page(
                "Unknown client",
                format!(
                    "\"{client_id}\" is a URL, but this server does not accept client metadata documents (it runs with --client-metadata-documents off)."
                ),
            ));
        }
        return client_document::client(state, client_id, &address.as_string())
            .await?
            .map_err(|why| page("Client metadata document refused", why));
    }
    store::find_client(&state.db, client_id)
        .await?
        .ok_or_else(|| {
            page(
                "Unknown client",
                format!("No client with the id \"{client_id}\" is registered here."),
            )
        })
}

/// 2. `redirect_uri` is, character for character, one of the client's registered URIs:
///    OAuth 2.1 §2.3.1 and RFC 9700 §4.1.3 require exact string matching; only the port of
///    a self-registered client's loopback URI may differ (OAuth 2.1 §8.4.2, RFC 8252 §7.3:
///    `redirect_uri_matches`).
fn check_redirect_uri(client: &Client, query: &Query) -> Result<RedirectUri, AuthorizeError> {
    if query.is_repeated("redirect_uri") {
        return Err(page(
            "Invalid redirect URI",
            "redirect_uri appears more than once.",
        ));
    }
    let Some(redirect_uri) = query.get("redirect_uri").map(RedirectUri::new) else {
        return Err(page(
            "Missing redirect URI",
            "The request has no redirect_uri; this server requires it in every authorization request.",
        ));
    };
    if client.redirect_uris.iter().any(|registered| {
        redirect_uri_matches(
            registered.as_str(),
            redirect_uri.as_str(),
            client.self_registered,
        )
    }) {
        Ok(redirect_uri)
    } else {
        Err(page(
            "Invalid redirect URI",
            format!(
                "\"{redirect_uri}\" is not registered for the client \"{}\". Redirect URIs must match a registered one exactly (for a self-registered client, only the port of an http://127.0.0.1, http://[::1] or http://localhost URI may differ).",
                client.client_id
            ),
        ))
    }
}

/// Why a request is refused, sent back to the client.
type Refusal = (AuthorizationErrorCode, String);

/// A refusal in the words of the error sent back, for the decision trace.
fn says((code, why): &Refusal) -> String {
    format!("{}: {why}", code.as_str())
}

/// 3. RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
fn check_no_repeated_parameter(query: &Query) -> Result<(), Refusal> {
    match query.first_repeated() {
        Some(name) => Err((
            AuthorizationErrorCode::InvalidRequest,
            format!("the parameter {name} appears more than once"),
        )),
        None => Ok(()),
    }
}

/// Longest `state`, `nonce` and `login_hint` accepted. Both are opaque to the server and stored with the
/// pending request; unbounded, every anonymous request could store kilobytes (CWE-770).
/// 512 bytes hold any random value a client needs.
const MAX_OPAQUE_BYTES: usize = 512;

/// 3b. `state`, `nonce` and `login_hint` are at most [`MAX_OPAQUE_BYTES`] long.
fn check_lengths(query: &Query) -> Result<(), Refusal> {
    for name in ["state", "nonce", "login_hint"] {
        if query.get(name).is_some_and(|v| v.len() > MAX_OPAQUE_BYTES) {
            return Err((
                AuthorizationErrorCode::InvalidRequest,
                format!("{name} is longer than {MAX_OPAQUE_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

/// 4. OAuth 2.1 §4.1.1: `response_type` must be `code` (the implicit grant's `token` is gone).
fn check_response_type(query: &Query) -> Result<(), Refusal> {
    match query.get("response_type") {
        Some("code") => Ok(()),
        Some(other) => Err((
            AuthorizationErrorCode::UnsupportedResponseType,
            format!("response_type {other:?} is not supported; OAuth 2.1 has only \"code\""),
        )),
        None => Err((
            AuthorizationErrorCode::InvalidRequest,
            "response_type is missing".to_owned(),
        )),
    }
}

/// 5. OAuth 2.1 §4.1.1 / RFC 9700 §2.1.1: every client uses PKCE, with S256.
fn check_pkce(query: &Query) -> Result<CodeChallenge, Refusal> {
    let invalid = |description: String| (AuthorizationErrorCode::InvalidRequest, description);
    let challenge = query
        .get("code_challenge")
        .ok_or_else(|| invalid("code_challenge is required (PKCE, OAuth 2.1 §4.1.1)".to_owned()))?;
    let method = query
        .get("code_challenge_method")
        .ok_or_else(|| invalid("code_challenge_method is required and must be S256".to_owned()))?;
    CodeChallengeMethod::parse(method).map_err(|e| invalid(e.to_string()))?;
    CodeChallenge::parse(challenge).map_err(|e| invalid(e.to_string()))
}

/// 6. Every requested scope is known (RFC 6749 §3.3), and the client gets only those it
///    may have: those it was registered with, and `offline_access` (OIDC Core §11) for
///    every client. A self-registered client may also ask for anything within the
///    self-registration ceiling (never `admin`): an MCP client registers with the scope of
///    its first challenge and asks for more with the same registration when a tool needs it
///    (MCP authorization, scope challenge handling); the user's consent decides. Scopes
///    beyond that are left out, not refused (§3.3: the server "MAY fully or partially ignore
///    the scope requested"; MCP clients ask for every scope a resource lists), and the token
///    response says what was granted; a request left with nothing is `invalid_scope`.
fn check_scope(client: &Client, query: &Query) -> Result<ScopeSet, Refusal> {
    let invalid = |description: String| (AuthorizationErrorCode::InvalidScope, description);
    let requested = ScopeSet::parse(query.get("scope").unwrap_or(DEFAULT_SCOPE))
        .map_err(|e| invalid(e.to_string()))?;
    if let Some(unknown) = requested.first_unknown() {
        return Err(invalid(format!("unknown scope {:?}", unknown.as_str())));
    }
    let mut allowed = client.allowed_scopes.with_offline_access();
    if client.self_registered {
        allowed = allowed.union(&client_metadata::ceiling());
    }
    let granted = requested.intersection(&allowed);
    if granted.is_empty() {
        return Err(invalid(format!("this client may ask only for: {allowed}")));
    }
    if granted != requested {
        tracing::info!(
            client = %client.client_id,
            asked = %requested,
            kept = %granted,
            "authorize: scopes this client may not have are left out"
        );
    }
    Ok(granted)
}

/// 7. RFC 8707 §2: `resource`, if present, names a resource this server knows; it becomes
///    the token's audience. Without it, tokens are for the default resource. Every scope
///    asked that is about a resource is one this resource understands (RFC 6749 §3.3).
async fn check_resource(
    state: &AppState,
    query: &Query,
    scope: &ScopeSet,
) -> Result<Result<String, Refusal>, Internal> {
    let requested = query.get("resource");
    let Some(resource) = state.settings.resources.find(&state.db, requested).await? else {
        return Ok(Err((
            AuthorizationErrorCode::InvalidTarget,
            format!("unknown resource {:?}", requested.unwrap_or_default()),
        )));
    };
    if let Some(not_understood) = resource.not_understood(scope) {
        return Ok(Err((
            AuthorizationErrorCode::InvalidScope,
            format!(
                "the resource {} does not understand the scope {not_understood}",
                resource.identifier
            ),
        )));
    }
    Ok(Ok(resource.identifier))
}

/// What `prompt` asks for (OIDC Core §3.1.2.1).
#[derive(Debug, Default)]
struct Prompt {
    /// `none`: no page at all; an answer at once or an error.
    none: bool,
    /// `login` or `select_account`: log in again (the login page is where another account
    /// is chosen).
    login: bool,
    /// `consent`: ask for consent even if it is remembered.
    consent: bool,
}

/// 8. OIDC Core §3.1.2.1: `prompt` is a space-separated list of `none`, `login`, `consent`
///    and `select_account`; `none` with any other value is an error.
fn check_prompt(query: &Query) -> Result<Prompt, Refusal> {
    let invalid = |why: String| (AuthorizationErrorCode::InvalidRequest, why);
    let Some(value) = query.get("prompt") else {
        return Ok(Prompt::default());
    };
    let mut prompt = Prompt::default();
    let values: Vec<&str> = value.split(' ').collect();
    for value in &values {
        match *value {
            "none" => prompt.none = true,
            "login" | "select_account" => prompt.login = true,
            "consent" => prompt.consent = true,
            other => {
                return Err(invalid(format!(
                    "prompt may hold none, login, consent and select_account, not {other:?}"
                )));
            }
        }
    }
    if prompt.none && values.len() > 1 {
        return Err(invalid(
            "prompt=none cannot be combined with other values".to_owned(),
        ));
    }
    Ok(prompt)
}

/// Whether the login of `session` will do for this request: someone is logged in, the
/// client asked for no new login, and it is no older than `max_age` (`max_age=0`: never).
fn login_will_do(session: &Session, prompt: &Prompt, max_age: Option<i64>) -> bool {
    session.user_id.is_some()
        && !prompt.login
        && max_age.is_none_or(|max_age| {
            max_age > 0 && server_kit::unix_now() - session.auth_time.unwrap_or(0) <= max_age
        })
}

/// 9. OIDC Core §3.1.2.1: `max_age`, the most seconds since the user last logged in.
fn check_max_age(query: &Query) -> Result<Option<i64>, Refusal> {
    query
        .get("max_age")
        .map(|value| {
            value.parse::<u32>().map(i64::from).map_err(|_| {
                (
                    AuthorizationErrorCode::InvalidRequest,
                    format!("max_age must be a number of seconds, not {value:?}"),
                )
            })
        })
        .transpose()
}

/// How `/authorize` fails: a page (nothing may be redirected yet) or a redirect.
#[derive(Debug)]
enum AuthorizeError {
    Page(ErrorPage),
    Redirect(AuthorizationRedirect),
    Internal(Internal),
}

impl From<Internal> for AuthorizeError {
    fn from(error: Internal) -> Self {
        Self::Internal(error)
    }
}

/// The refusal in the words the page or the redirect carries, for the decision trace.
impl std::fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Page(page) => write!(f, "{}: {}", page.title, page.message),
            Self::Redirect(_) => f.write_str("refused; the error goes back to the client"),
            Self::Internal(_) => f.write_str("server_error"),
        }
    }
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(page) => page.into_response(),
            Self::Redirect(redirect) => redirect.into_response(),
            Self::Internal(error) => PageError::Internal(error).into_response(),
        }
    }
}
