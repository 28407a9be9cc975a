//! `POST /login`: the login form of the authorization server.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use server_kit::trace::{Check, Recorder};

use crate::pages::{self, ClientIdentity, LoginPage, PageError};
use crate::protocol::throttle::{
    self, LOGIN_PER_BROWSER, LOGIN_PER_USER_AND_ADDRESS, LOGIN_PER_USER_IN_KNOWN_BROWSER, Limit,
};
use crate::protocol::{accounts, pending};
use crate::routes::address::ClientAddress;
use crate::routes::page_flow::{
    CredentialsForm, PENDING_REQUEST, SESSION_CSRF, after_login, bad_form, busy, checked_session,
    expired_request, see_other, throttled,
};
use crate::routes::session::{self, Session};
use crate::state::AppState;
use crate::store::PendingRequest;

/// The one message for every failed login: it does not say whether the username exists.
const LOGIN_FAILED: &str = "Wrong username or password.";

/// The authorization request a login continues, if it names one (the clients pages log in
/// without); its `request_id` and `state` find the login's trace.
async fn pending_request(
    state: &AppState,
    trace: &Recorder,
    request_id: Option<&str>,
    session: &Session,
) -> Result<Option<PendingRequest>, PageError> {
    let Some(id) = request_id.filter(|id| !id.is_empty()) else {
        trace.not_applicable(
            &PENDING_REQUEST,
            "a login for the clients pages, not for an authorization request",
        );
        return Ok(None);
    };
    trace.key("request_id", id);
    let found = pending::find(&state.db, id, session).await?;
    let found = found.ok_or_else(|| PageError::from(expired_request()));
    let request = trace.check(&PENDING_REQUEST, found)?;
    if let Some(value) = request.state.as_deref() {
        trace.key("state", value);
    }
    Ok(Some(request))
}

const THROTTLE: Check = Check::new(
    "login_throttle",
    "RFC 6749 §10.10",
    "Neither this browser, nor this username from this address (or in this browser, if the user logged in with it before), has failed too often lately.",
);
const CREDENTIALS: Check = Check::new(
    "credentials",
    "RFC 6749 §10.10",
    "The username and password match (bcrypt); the session now belongs to this user, under a new id.",
);

pub(crate) async fn login(
    State(state): State<AppState>,
    trace: Recorder,
    address: ClientAddress,
    jar: CookieJar,
    form: Result<Form<CredentialsForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| bad_form())?;
    let session = checked_session(&state, &jar, form.csrf_token.as_deref()).await;
    let session = trace.check(&SESSION_CSRF, session)?;
    // With a pending authorization request, login continues to consent; without one (the
    // clients pages), to the clients list.
    let request = pending_request(&state, &trace, form.request_id.as_deref(), &session).await?;
    let client = match &request {
        Some(request) => Some(
            pending::client_of(&state.db, request)
                .await?
                .ok_or_else(expired_request)?,
        ),
        None => None,
    };
    let client_id = client.as_ref().map_or("-", |c| c.client_id.as_str());
    let request_id = request.as_ref().map_or("", |r| r.id.as_str());
    let identity = client
        .as_ref()
        .zip(request.as_ref())
        .map(|(client, request)| ClientIdentity::new(client, &request.redirect_uri));

    let username = form.username.unwrap_or_default();
    let ip = address.as_string();
    let user = accounts::by_name(&state.db, &username).await?;
    // A browser this user has logged in with before counts its own failures for them;
    // any other counts them against the address (`protocol/throttle.rs`).
    let known = session::known_browser(&state, &jar).await?;
    let known = known
        .as_ref()
        .filter(|browser| user.as_ref().is_some_and(|user| user.id == browser.user_id));
    let (user_limit, per_user) = match known {
        Some(browser) => (
            &LOGIN_PER_USER_IN_KNOWN_BROWSER,
            [username.as_str(), browser.token_hash.as_str()],
        ),
        None => (
            &LOGIN_PER_USER_AND_ADDRESS,
            [username.as_str(), ip.as_str()],
        ),
    };
    let per_browser = [ip.as_str(), session.id_hash.as_str()];
    let limits = [(&LOGIN_PER_BROWSER, &per_browser), (user_limit, &per_user)];
    if let Some(refused) = take_units(&state, &trace, limits, &username, client_id, &ip).await? {
        return Ok(refused);
    }
    let password = form.password.unwrap_or_default();
    let Ok(valid) = state.passwords.verify(user.as_ref(), password).await? else {
        // Not the user's fault: the units go back.
        throttle::give_back(&state.db, &LOGIN_PER_BROWSER, &per_browser).await?;
        throttle::give_back(&state.db, user_limit, &per_user).await?;
        tracing::warn!(
            username,
            client = client_id,
            ip,
            "login refused: the password queue is full"
        );
        trace.refused(&CREDENTIALS, || {
            "The server is busy checking other passwords; try again shortly.".to_owned()
        });
        return Ok(busy());
    };
    let Some(user) = user.filter(|_| valid) else {
        // As much as the page says: not which half was wrong.
        trace.refused(&CREDENTIALS, || "Credentials rejected.".to_owned());
        tracing::warn!(
            username,
            client = client_id,
            ip,
            "login failed: wrong username or password"
        );
        let page = LoginPage {
            client: identity.as_ref(),
            request_id,
            csrf_token: &session.csrf_token,
            username: &username,
            error: Some(LOGIN_FAILED),
        };
        return Ok(pages::render(StatusCode::UNAUTHORIZED, &page)?);
    };

    // A success clears this username's count and gives back its unit of the browser's.
    throttle::reset(&state.db, user_limit, &per_user).await?;
    throttle::give_back(&state.db, &LOGIN_PER_BROWSER, &per_browser).await?;
    trace.pass(&CREDENTIALS);
    let cookie = session::log_in(&state, &session, &user.id).await?;
    let browser = session::remember_browser(&state, &user.id).await?;
    tracing::info!(
        username = user.username,
        client = client_id,
        "login succeeded"
    );
    Ok((
        jar.add(cookie).add(browser),
        see_other(&after_login(request_id)),
    )
        .into_response())
}

/// RFC 6749 §10.10: each guess takes a unit of both `limits` *before* bcrypt, atomically,
/// so a burst of parallel guesses is counted one by one (the browser first: spraying over
/// many usernames is stopped before any username's count moves). `Some`: the `429` to
/// answer, a limit being exhausted.
async fn take_units(
    state: &AppState,
    trace: &Recorder,
    limits: [(&Limit, &[&str; 2]); 2],
    username: &str,
    client_id: &str,
    ip: &str,
) -> Result<Option<Response>, PageError> {
    for (limit, parts) in limits {
        if let Some(wait) = throttle::take(&state.db, limit, parts).await? {
            tracing::warn!(
                username,
                client = client_id,
                ip,
                "login throttled: {}",
                limit.what
            );
            trace.refused(&THROTTLE, || {
                format!(
                    "Too many failed logins: {}; try again in {wait} s.",
                    limit.what
                )
            });
            return Ok(Some(throttled(limit, wait)));
        }
    }
    trace.pass(&THROTTLE);
    Ok(None)
}
