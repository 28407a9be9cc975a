//! `POST /login`: the login form of the authorization server.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::error::Internal;
use crate::pages::{self, ErrorPage, LoginPage, PageError};
use crate::password;
use crate::routes::authorize::see_other;
use crate::session::{self, Session};
use crate::state::AppState;
use crate::store;
use crate::throttle;

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
    client_name: Option<&str>,
    request_id: &str,
    csrf_token: &str,
    username: &str,
    error: Option<&str>,
) -> Result<Response, Internal> {
    pages::render(
        status,
        &LoginPage {
            client_name,
            request_id,
            csrf_token,
            username,
            error,
        },
    )
}

pub(crate) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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

    let username = form.username.unwrap_or_default();
    if let Some(wait) = throttle::retry_after(&state.db, &username).await? {
        tracing::warn!(username, client = client_id, ip = %peer.ip(), "login throttled: too many failures");
        return Ok(throttled(wait));
    }
    let user = store::find_user_by_name(&state.db, &username).await?;
    let password = form.password.unwrap_or_default();
    let valid = password::verify(user.as_ref(), password).await?;
    let Some(user) = user.filter(|_| valid) else {
        throttle::record_failure(&state.db, &username, &peer.ip().to_string()).await?;
        tracing::warn!(username, client = client_id, ip = %peer.ip(), "login failed: wrong username or password");
        return Ok(page(
            StatusCode::UNAUTHORIZED,
            client.as_ref().map(|c| c.name.as_str()),
            request_id,
            &session.csrf_token,
            &username,
            Some(LOGIN_FAILED),
        )?);
    };

    throttle::clear(&state.db, &username).await?;
    let cookie = session::log_in(&state.db, &session, &user.id).await?;
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
fn throttled(wait_secs: i64) -> Response {
    let minutes = (wait_secs + 59) / 60;
    let page = ErrorPage::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many failed logins",
        format!(
            "This username had {} failed logins within {} minutes. Try again in {minutes} minute(s).",
            throttle::MAX_FAILURES,
            throttle::WINDOW_SECS / 60
        ),
    )
    .rule("Throttling makes guessing passwords impractical: an attacker gets a handful of tries per quarter hour, not millions.");
    let mut response = page.into_response();
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
    let session = session::current(&state.db, jar)
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
