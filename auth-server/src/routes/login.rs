//! `POST /login`: the login form of the authorization server.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::error::Internal;
use crate::pages::{self, ClientIdentity, ErrorPage, LoginPage, PageError};
use crate::routes::authorize::see_other;
use crate::session::{self, Session};
use crate::state::AppState;
use crate::store;
use crate::throttle::{self, ClientAddress, LOGIN_PER_ADDRESS, LOGIN_PER_USER_AND_ADDRESS, Limit};

/// The one message for every failed login: it does not say whether the username exists.
const LOGIN_FAILED: &str = "Wrong username or password.";

/// The login form as it arrives.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    request_id: Option<String>,
    csrf_token: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// Renders the login page.
pub(crate) fn page(
    status: StatusCode,
    client: Option<&ClientIdentity>,
    request_id: &str,
    csrf_token: &str,
    username: &str,
    error: Option<&str>,
) -> Result<Response, Internal> {
    pages::render(
        status,
        &LoginPage {
            client,
            request_id,
            csrf_token,
            username,
            error,
        },
    )
}

pub(crate) async fn login(
    State(state): State<AppState>,
    address: ClientAddress,
    jar: CookieJar,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| bad_form())?;
    let session = checked_session(&state, &jar, form.csrf_token.as_deref()).await?;
    // With a pending authorization request, login continues to consent; without one (the
    // clients pages), to the clients list.
    let request = match form.request_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => Some(
            store::find_request(&state.db, id, &session.id_hash)
                .await?
                .ok_or_else(expired_request)?,
        ),
        None => None,
    };
    let client = match &request {
        Some(request) => Some(
            store::find_client(&state.db, &request.client_id)
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
    // RFC 6749 §10.10: each guess takes a unit of both limits *before* bcrypt, atomically,
    // so a burst of parallel guesses is counted one by one (the address first: spraying
    // over many usernames is stopped before any username's count moves).
    let per_address = [ip.as_str()];
    let per_user = [username.as_str(), ip.as_str()];
    for (limit, parts) in [
        (&LOGIN_PER_ADDRESS, &per_address[..]),
        (&LOGIN_PER_USER_AND_ADDRESS, &per_user[..]),
    ] {
        if let Some(wait) = throttle::take(&state.db, limit, parts).await? {
            tracing::warn!(
                username,
                client = client_id,
                ip,
                "login throttled: {}",
                limit.what
            );
            return Ok(throttled(limit, wait));
        }
    }
    let user = store::find_user_by_name(&state.db, &username).await?;
    let password = form.password.unwrap_or_default();
    let Ok(valid) = state.passwords.verify(user.as_ref(), password).await? else {
        // Not the user's fault: the units go back.
        throttle::give_back(&state.db, &LOGIN_PER_ADDRESS, &per_address).await?;
        throttle::give_back(&state.db, &LOGIN_PER_USER_AND_ADDRESS, &per_user).await?;
        tracing::warn!(
            username,
            client = client_id,
            ip,
            "login refused: the password queue is full"
        );
        return Ok(busy());
    };
    let Some(user) = user.filter(|_| valid) else {
        tracing::warn!(
            username,
            client = client_id,
            ip,
            "login failed: wrong username or password"
        );
        return Ok(page(
            StatusCode::UNAUTHORIZED,
            identity.as_ref(),
            request_id,
            &session.csrf_token,
            &username,
            Some(LOGIN_FAILED),
        )?);
    };

    // A success clears this username's count from this address and gives back its unit
    // of the address's count.
    throttle::reset(&state.db, &LOGIN_PER_USER_AND_ADDRESS, &per_user).await?;
    throttle::give_back(&state.db, &LOGIN_PER_ADDRESS, &per_address).await?;
    let cookie = session::log_in(&state, &session, &user.id).await?;
    tracing::info!(
        username = user.username,
        client = client_id,
        "login succeeded"
    );
    Ok((jar.add(cookie), see_other(&after_login(request_id))).into_response())
}

/// Where the browser goes once logged in: consent for a pending request, else the clients.
pub(crate) fn after_login(request_id: &str) -> String {
    if request_id.is_empty() {
        "/clients".to_owned()
    } else {
        format!("/consent?request_id={request_id}")
    }
}

/// `429 Too Many Requests` with `Retry-After` and a page that says when to try again.
pub(crate) fn throttled(limit: &Limit, wait_secs: i64) -> Response {
    let minutes = (wait_secs + 59) / 60;
    let page = ErrorPage::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        format!(
            "There were more than {} {} within {} minutes. Try again in {minutes} minute(s).",
            limit.max,
            limit.what,
            limit.window_secs / 60
        ),
    )
    .rule("Throttling makes guessing passwords impractical: an attacker gets a handful of tries per quarter hour, not millions. It counts per address, so nobody can lock you out from elsewhere.");
    with_retry_after(page.into_response(), wait_secs)
}

/// `429` at once when the password queue is full, instead of a timeout behind the queue.
pub(crate) fn busy() -> Response {
    let page = ErrorPage::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Busy",
        "The server is checking many passwords right now. Try again in a second.",
    )
    .rule("Checking a password is slow on purpose (bcrypt). The queue of checks is bounded, so a flood of logins is refused at once instead of making everyone wait.");
    with_retry_after(page.into_response(), 1)
}

fn with_retry_after(mut response: Response, wait_secs: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&wait_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The browser's session, provided the form carries its CSRF token (a form posted from
/// another site cannot know it).
pub(crate) async fn checked_session(
    state: &AppState,
    jar: &CookieJar,
    csrf_token: Option<&str>,
) -> Result<Session, PageError> {
    let session = session::current(state, jar)
        .await?
        .ok_or(PageError::Page(ErrorPage::new(
            StatusCode::BAD_REQUEST,
            "Session expired",
            "Your session on the authorization server has expired or cookies are blocked. Go back to the application and start again.",
        )))?;
    if !session.csrf_matches(csrf_token) {
        return Err(PageError::Page(
            ErrorPage::new(
                StatusCode::FORBIDDEN,
                "Form refused",
                "The form's CSRF token is missing or wrong, so it may not have come from this server's page.",
            )
            .rule("A hidden, per-session token in every form stops other sites from submitting it in your name (cross-site request forgery)."),
        ));
    }
    Ok(session)
}

pub(crate) fn bad_form() -> ErrorPage {
    ErrorPage::new(
        StatusCode::BAD_REQUEST,
        "Malformed form",
        "The submitted form cannot be read (a field may appear twice).",
    )
}

pub(crate) fn expired_request() -> ErrorPage {
    ErrorPage::new(
        StatusCode::BAD_REQUEST,
        "Request expired",
        "This authorization request is unknown or has expired. Go back to the application and start again.",
    )
}
