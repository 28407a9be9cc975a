//! The browser's session at the authorization server, and who is logged in: a session is
//! named by a random token the browser holds (`routes/session.rs` keeps it in a cookie) and
//! stored only as its SHA-256. It starts anonymous at `/authorize` and gets a new token when
//! the user logs in, so a token planted before login is worthless after it (session
//! fixation). A browser a user logged in with is remembered by a second token, for the
//! login limits (`protocol/throttle.rs`).

use server_kit::db::Db;

use crate::error::Internal;
use crate::store::{self, Session, User};

/// How long a session lives.
pub(crate) const LIFETIME_SECS: i64 = 8 * 60 * 60;

/// How long a browser stays known after its last login.
pub(crate) const BROWSER_LIFETIME_SECS: i64 = 90 * 24 * 60 * 60;

fn hash(token: &str) -> String {
    shared::digest::sha256_hex(token.as_bytes())
}

/// The session `token` names, if it exists and has not expired.
pub(crate) async fn find(db: &Db, token: &str) -> Result<Option<Session>, Internal> {
    store::find_session(db, &hash(token)).await
}

/// Starts a session at `now` (anonymous, or logged in as `user_id`): its token, for the
/// browser, and the session.
pub(crate) async fn start(
    db: &Db,
    user_id: Option<&str>,
    now: i64,
) -> Result<(String, Session), Internal> {
    let token = shared::random::token();
    let session = Session {
        id_hash: hash(&token),
        csrf_token: shared::random::token(),
        user_id: user_id.map(str::to_owned),
        auth_time: user_id.map(|_| now),
    };
    store::insert_session(db, &session, now + LIFETIME_SECS).await?;
    Ok((token, session))
}

/// Logs the browser of `anonymous` in as `user_id` at `now`: a new session (so a token
/// someone planted before login is useless after it), the pending requests moved over (a
/// login clears their `login_required`), the old session ended. Returns the new token.
pub(crate) async fn log_in(
    db: &Db,
    anonymous: &Session,
    user_id: &str,
    now: i64,
) -> Result<String, Internal> {
    let (token, logged_in) = start(db, Some(user_id), now).await?;
    store::move_requests(db, &anonymous.id_hash, &logged_in.id_hash).await?;
    store::delete_session(db, &anonymous.id_hash).await?;
    Ok(token)
}

/// Ends `session` (logout).
pub(crate) async fn end(db: &Db, session: &Session) -> Result<(), Internal> {
    store::delete_session(db, &session.id_hash).await
}

/// The user logged in with `session`, if anyone is (and still exists).
pub(crate) async fn user_of(db: &Db, session: &Session) -> Result<Option<User>, Internal> {
    match session.user_id.as_deref() {
        Some(user_id) => store::find_user(db, user_id).await,
        None => Ok(None),
    }
}

/// A browser a user has logged in with: the hash of its token and that user.
#[derive(Debug)]
pub(crate) struct KnownBrowser {
    pub token_hash: String,
    pub user_id: String,
}

/// The user the browser holding `token` last logged in as, if any.
pub(crate) async fn known_browser(db: &Db, token: &str) -> Result<Option<KnownBrowser>, Internal> {
    let token_hash = hash(token);
    Ok(store::browser_user(db, &token_hash)
        .await?
        .map(|user_id| KnownBrowser {
            token_hash,
            user_id,
        }))
}

/// Marks a browser as one `user_id` logs in with, from `now` for
/// [`BROWSER_LIFETIME_SECS`]: the token for the browser to hold.
pub(crate) async fn remember_browser(db: &Db, user_id: &str, now: i64) -> Result<String, Internal> {
    let token = shared::random::token();
    store::remember_browser(db, &hash(&token), user_id, now + BROWSER_LIFETIME_SECS).await?;
    Ok(token)
}
