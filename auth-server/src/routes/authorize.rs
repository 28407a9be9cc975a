//! `GET /authorize` and `POST /authorize` (RFC 6749 §4.1.1, RFC 7636 §4.3, OAuth 2.1
//! §4.1.1; OIDC Core §3.1.2.1: the endpoint "MUST support the use of the HTTP GET and POST
//! methods", the parameters then in a form body). Both run the same checks.
//!
//! The checks are `protocol/authorization_request.rs`, in the order that is the security
//! argument; here their refusals get a face. Until the client and its redirect URI are
//! known to be genuine, an error is a page on this server (an [`Untrusted`] refusal):
//! redirecting to an unchecked URI would make the server an open redirector (RFC 6749
//! §4.1.2.1, RFC 9700 §4.11). After that, errors go back to the client's redirect URI with
//! `state` and `iss`. Then the user: login, consent, or with `prompt=none` an answer at once.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use server_kit::trace::{Check, Recorder};
use shared::AuthorizationErrorCode;

use crate::error::Internal;
use crate::model::Client;
use crate::pages::{self, ClientIdentity, ErrorPage, LoginPage, PageError};
use crate::protocol::authorization_request::{
    self, AuthorizationRequest, Checked, Identified, PARAMETERS, Prompt, Refusal, Untrusted,
    login_will_do,
};
use crate::protocol::decision::{self, Approval};
use crate::protocol::pending;
use crate::protocol::session::user_of;
use crate::routes::address::ClientAddress;
use crate::routes::form;
use crate::routes::page_flow::see_other;
use crate::routes::redirect::{AuthorizationRedirect, ErrorRedirect};
use crate::routes::{consent, session};
use crate::state::AppState;
use crate::store::PendingRequest;

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
        return AuthorizeError::from(Untrusted::new(
            "Malformed request",
            "An authorization request sent with POST carries its parameters as a form (Content-Type application/x-www-form-urlencoded).",
        ))
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
    let query = trace.check(&PARAMETERS, AuthorizationRequest::parse(raw_query))?;
    // The SPA finds this request's trace, and those of its login and consent, by `state`:
    // one the length check will accept (a longer one is refused, and not kept).
    if let Some(state) = query.state() {
        trace.key("state", state);
    }
    // 1-2: who is asking, and where the answer goes. Failures here are pages.
    let Identified {
        client,
        redirect_uri,
    } = authorization_request::identify(state, trace, &query, &address.as_string()).await??;
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
    // 3-9: what is asked for.
    let Checked {
        challenge,
        scope,
        resource,
        prompt,
        max_age,
    } = authorization_request::check(state, trace, &query, &client)
        .await?
        .map_err(|refusal| back.refuse(refusal))?;
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
    // (`decision::remembered`). With `prompt=none` nothing may be shown (§3.1.2.6): a code
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
    let login_will_do = login_will_do(&session, &prompt, max_age, server_kit::unix_now());
    request.login_required = !login_will_do;
    pending::hold(&state.db, &session, &request).await?;
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
    let Some(session) =
        current.filter(|session| login_will_do(session, prompt, max_age, server_kit::unix_now()))
    else {
        let refusal = Refusal::new(
            AuthorizationErrorCode::LoginRequired,
            "prompt=none, but the user would have to log in",
        );
        trace.refused(&USER, || refusal.to_string());
        return Err(back.refuse(refusal).into());
    };
    let user = user_of(&state.db, &session).await?;
    if let Some(user) = user
        && let Some(granted) = decision::remembered(&state.db, client, &user, request).await?
    {
        trace.passed(&USER, || {
            "prompt=none: logged in, and the user approved these scopes before; a code goes back at once".to_owned()
        });
        tracing::info!(client = %client.client_id, "authorize: prompt=none, logged in and consent remembered; sending a code at once");
        let approval = Approval {
            request,
            user: &user,
            granted: &granted,
            auth_time: session.auth_time.unwrap_or_else(server_kit::unix_now),
        };
        return Ok(consent::send_code(state, trace, &approval).await?);
    }
    let refusal = Refusal::new(
        AuthorizationErrorCode::ConsentRequired,
        "prompt=none, but the user has not approved these scopes for this client before (or this client cannot have its consent remembered)",
    );
    trace.refused(&USER, || refusal.to_string());
    Err(back.refuse(refusal).into())
}

/// How `/authorize` fails: a page (nothing may be redirected yet) or a redirect.
#[derive(Debug)]
enum AuthorizeError {
    Page(ErrorPage),
    Redirect(AuthorizationRedirect),
    Internal(Internal),
}

impl From<Untrusted> for AuthorizeError {
    fn from(refusal: Untrusted) -> Self {
        Self::Page(
            ErrorPage::new(StatusCode::BAD_REQUEST, refusal.title, refusal.description)
                .rule(refusal.rule),
        )
    }
}

impl From<AuthorizationRedirect> for AuthorizeError {
    fn from(redirect: AuthorizationRedirect) -> Self {
        Self::Redirect(redirect)
    }
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
