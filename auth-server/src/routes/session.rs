//! The cookies of the browser session (`protocol/session.rs` holds the rules): the
//! session's token in an `HttpOnly`, `SameSite=Lax` cookie (behind https also `Secure`,
//! named `__Host-lab_session`), and the known-browser token beside it. A session starts
//! anonymous at `/authorize` (it carries the CSRF token of the login form) and gets a new
//! token when the user logs in.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::error::Internal;
use crate::protocol::session::{self, BROWSER_LIFETIME_SECS, KnownBrowser};
use crate::state::AppState;
pub(crate) use crate::store::Session;

const COOKIE: &str = "lab_session";
/// RFC 6265bis §4.1.3.2: a `__Host-` cookie is accepted only with `Secure`, `Path=/` and no
/// `Domain`, so no http page and no other host can set or overwrite it.
const SECURE_COOKIE: &str = "__Host-lab_session";

/// The name of the session cookie on this server.
fn cookie_name(state: &AppState) -> &'static str {
    name_on(state, COOKIE, SECURE_COOKIE)
}

/// A cookie's name on this server: `plain`, or behind https `host_only` (`__Host-`).
fn name_on(state: &AppState, plain: &'static str, host_only: &'static str) -> &'static str {
    if state.settings.secure_cookies() {
        host_only
    } else {
        plain
    }
}

/// A cookie only this server's pages read: `HttpOnly`, `SameSite=Lax`, for every path,
/// and behind https `Secure`.
fn own_cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies())
        .path("/")
        .build()
}

/// The cookie that removes the session cookie from the browser.
pub(crate) fn removal(state: &AppState) -> Cookie<'static> {
    Cookie::build(cookie_name(state))
        .path("/")
        .secure(state.settings.secure_cookies())
        .build()
}

/// The session named by the request's cookie, if it exists and has not expired.
pub(crate) async fn current(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<Session>, Internal> {
    match jar.get(cookie_name(state)) {
        Some(cookie) => session::find(&state.db, cookie.value()).await,
        None => Ok(None),
    }
}

/// The browser's session, or a new anonymous one and the cookie to set for it.
pub(crate) async fn current_or_new(
    state: &AppState,
    jar: &CookieJar,
) -> Result<(Session, Option<Cookie<'static>>), Internal> {
    if let Some(session) = current(state, jar).await? {
        return Ok((session, None));
    }
    let (token, session) = session::start(&state.db, None, server_kit::unix_now()).await?;
    Ok((session, Some(own_cookie(state, cookie_name(state), token))))
}

/// Logs the browser of `anonymous` in as `user_id` (`protocol::session::log_in`): the new
/// session's cookie.
pub(crate) async fn log_in(
    state: &AppState,
    anonymous: &Session,
    user_id: &str,
) -> Result<Cookie<'static>, Internal> {
    let token = session::log_in(&state.db, anonymous, user_id, server_kit::unix_now()).await?;
    Ok(own_cookie(state, cookie_name(state), token))
}

/// The cookie that marks a browser a user has logged in with (`protocol/throttle.rs`).
const BROWSER_COOKIE: &str = "lab_browser";
const SECURE_BROWSER_COOKIE: &str = "__Host-lab_browser";

/// The user this browser last logged in as, if its `lab_browser` cookie names one.
pub(crate) async fn known_browser(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<KnownBrowser>, Internal> {
    match jar.get(name_on(state, BROWSER_COOKIE, SECURE_BROWSER_COOKIE)) {
        Some(cookie) => session::known_browser(&state.db, cookie.value()).await,
        None => Ok(None),
    }
}

/// Marks this browser as one `user_id` logs in with: a new token, in a cookie that only
/// this server reads and that lasts as long as the server remembers it.
pub(crate) async fn remember_browser(
    state: &AppState,
    user_id: &str,
) -> Result<Cookie<'static>, Internal> {
    let token = session::remember_browser(&state.db, user_id, server_kit::unix_now()).await?;
    let name = name_on(state, BROWSER_COOKIE, SECURE_BROWSER_COOKIE);
    let mut cookie = own_cookie(state, name, token);
    cookie.set_max_age(time::Duration::seconds(BROWSER_LIFETIME_SECS));
    Ok(cookie)
}
