//! What every page of the login and consent flow shares: the CSRF-checked session, the
//! answers that send the browser on (`303`) or stop it (the common refusal
//! pages), and where the browser goes after logging in.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use server_kit::trace::Check;

use crate::pages::{ErrorPage, PageError};
use crate::protocol::throttle::Limit;
use crate::routes::session::{self, Session};
use crate::state::AppState;

/// The login and sign-up forms as they arrive: the pending authorization request to go on
/// with (if any), the page's CSRF token, and the credentials.
#[derive(Debug, Deserialize)]
pub(crate) struct CredentialsForm {
    pub request_id: Option<String>,
    pub csrf_token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// A `303 See Other` to a page of this server.
pub(crate) fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
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
    .rule("Throttling makes guessing passwords impractical: an attacker gets a handful of tries per quarter hour, not millions. It counts per browser and per address, and a browser you logged in with before counts on its own, so failures in your name elsewhere cannot lock you out of it.");
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
/// The check [`checked_session`] makes, for the decision trace.
pub(crate) const SESSION_CSRF: Check = Check::new(
    "session_csrf",
    "RFC 6749 §10.12",
    "The form comes with this browser's session and its anti-CSRF token: another site cannot submit it.",
);

/// The check of a pending authorization request, for the decision trace.
pub(crate) const PENDING_REQUEST: Check = Check::new(
    "pending_request",
    "RFC 6749 §4.1.1",
    "The authorization request this step continues is still pending, and was started in this browser.",
);

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
