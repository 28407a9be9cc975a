//! Browser sessions on the authorization server: a random id in an `HttpOnly`,
//! `SameSite=Lax` cookie (behind https also `Secure`, named `__Host-lab_session`), stored
//! server-side only as its SHA-256. A session starts
//! anonymous at `/authorize` (it carries the CSRF token of the login form) and gets a new id
//! when the user logs in, so an id planted before login is worthless after it (session
//! fixation).

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::error::Internal;
use crate::state::AppState;
use crate::store;
pub(crate) use crate::store::Session;

const COOKIE: &str = "lab_session";
/// RFC 6265bis §4.1.3.2: a `__Host-` cookie is accepted only with `Secure`, `Path=/` and no
/// `Domain`, so no http page and no other host can set or overwrite it.
const SECURE_COOKIE: &str = "__Host-lab_session";
const LIFETIME_SECS: i64 = 8 * 60 * 60;

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
    let db = &state.db;
    let Some(cookie) = jar.get(cookie_name(state)) else {
        return Ok(None);
    };
    store::find_session(db, &shared::digest::sha256_hex(cookie.value().as_bytes())).await
}

/// The browser's session, or a new anonymous one and the cookie to set for it.
pub(crate) async fn current_or_new(
    state: &AppState,
    jar: &CookieJar,
) -> Result<(Session, Option<Cookie<'static>>), Internal> {
    if let Some(session) = current(state, jar).await? {
        return Ok((session, None));
    }
    let (session, cookie) = create(state, None).await?;
    Ok((session, Some(cookie)))
}

/// Creates a session (anonymous, or logged in as `user_id`) and the cookie that names it.
pub(crate) async fn create(
    state: &AppState,
    user_id: Option<&str>,
) -> Result<(Session, Cookie<'static>), Internal> {
    let db = &state.db;
    let id = shared::random::token();
    let session = Session {
        id_hash: shared::digest::sha256_hex(id.as_bytes()),
        csrf_token: shared::random::token(),
        user_id: user_id.map(str::to_owned),
        auth_time: user_id.map(|_| server_kit::unix_now()),
    };
    store::insert_session(db, &session, server_kit::unix_now() + LIFETIME_SECS).await?;
    let cookie = own_cookie(state, cookie_name(state), id);
    Ok((session, cookie))
}

/// Logs the browser of `anonymous` in as `user_id`: a new session id (so an id someone
/// planted before login is useless after it), the pending requests moved over, the old
/// session ended. Returns the new session's cookie.
pub(crate) async fn log_in(
    state: &AppState,
    anonymous: &Session,
    user_id: &str,
) -> Result<Cookie<'static>, Internal> {
    let (logged_in, cookie) = create(state, Some(user_id)).await?;
    store::move_requests(&state.db, &anonymous.id_hash, &logged_in.id_hash).await?;
    store::delete_session(&state.db, &anonymous.id_hash).await?;
    Ok(cookie)
}

/// The cookie that marks a browser a user has logged in with (`protocol/throttle.rs`).
const BROWSER_COOKIE: &str = "lab_browser";
const SECURE_BROWSER_COOKIE: &str = "__Host-lab_browser";
/// How long a browser stays known after its last login.
const BROWSER_LIFETIME_SECS: i64 = 90 * 24 * 60 * 60;

/// A browser a user has logged in with: the hash of its token and that user.
#[derive(Debug)]
pub(crate) struct KnownBrowser {
    pub token_hash: String,
    pub user_id: String,
}

/// The user this browser last logged in as, if its `lab_browser` cookie names one.
pub(crate) async fn known_browser(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<KnownBrowser>, Internal> {
    let Some(cookie) = jar.get(name_on(state, BROWSER_COOKIE, SECURE_BROWSER_COOKIE)) else {
        return Ok(None);
    };
    let token_hash = shared::digest::sha256_hex(cookie.value().as_bytes());
    Ok(store::browser_user(&state.db, &token_hash)
        .await?
        .map(|user_id| KnownBrowser {
            token_hash,
            user_id,
        }))
}

/// Marks this browser as one `user_id` logs in with: a new token, in a cookie that only
/// this server reads and that lasts [`BROWSER_LIFETIME_SECS`].
pub(crate) async fn remember_browser(
    state: &AppState,
    user_id: &str,
) -> Result<Cookie<'static>, Internal> {
    let token = shared::random::token();
    let token_hash = shared::digest::sha256_hex(token.as_bytes());
    let expires_at = server_kit::unix_now() + BROWSER_LIFETIME_SECS;
    store::remember_browser(&state.db, &token_hash, user_id, expires_at).await?;
    let name = name_on(state, BROWSER_COOKIE, SECURE_BROWSER_COOKIE);
    let mut cookie = own_cookie(state, name, token);
    cookie.set_max_age(time::Duration::seconds(BROWSER_LIFETIME_SECS));
    Ok(cookie)
}
