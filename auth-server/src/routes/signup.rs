//! `GET`/`POST /signup`: creating an account, with the rules explained on the page.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shared::ScopeSet;

use crate::error::Internal;
use crate::pages::{self, PageError, SignupPage};
use crate::protocol::password::MAX_PASSWORD_BYTES;
use crate::protocol::throttle::{self, SIGNUP_PER_ADDRESS};
use crate::protocol::{accounts, pending};
use crate::routes::address::ClientAddress;
use crate::routes::page_flow::{
    CredentialsForm, after_login, bad_form, busy, checked_session, expired_request, see_other,
    throttled,
};
use crate::routes::session;
use crate::state::AppState;
use crate::store::NewUser;

/// What a new account may grant: everything but `admin`.
const NEW_USER_SCOPES: &str = "read write openid profile email";

#[derive(Debug, Deserialize)]
pub(crate) struct SignupQuery {
    request_id: Option<String>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    jar: CookieJar,
    query: Result<Query<SignupQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.map_err(|_| bad_form())?;
    let (session, cookie) = session::current_or_new(&state, &jar).await?;
    let page = SignupPage {
        request_id: query.request_id.as_deref().unwrap_or(""),
        csrf_token: &session.csrf_token,
        username: "",
        error: None,
    };
    let page = pages::render(StatusCode::OK, &page)?;
    Ok((cookie.map_or(jar.clone(), |c| jar.add(c)), page).into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    address: ClientAddress,
    jar: CookieJar,
    form: Result<Form<CredentialsForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| bad_form())?;
    let session = checked_session(&state, &jar, form.csrf_token.as_deref()).await?;
    let request_id = form.request_id.unwrap_or_default();
    // The pending request to continue with afterwards must be this browser's own (and so a
    // well-formed id): it becomes part of a Location header.
    if !request_id.is_empty()
        && pending::find(&state.db, &request_id, &session)
            .await?
            .is_none()
    {
        return Err(expired_request().into());
    }
    let username = form.username.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let refuse = |why: &str| {
        let page = SignupPage {
            request_id: &request_id,
            csrf_token: &session.csrf_token,
            username: &username,
            error: Some(why),
        };
        pages::render(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };

    if let Err(why) = check_username(&username).and_then(|()| check_password(&username, &password))
    {
        return Ok(refuse(why)?);
    }
    // Usernames are public in this lab (the login page lists the demo accounts), so saying
    // that one is taken reveals nothing secret; the per-address limit below keeps anyone
    // from listing them by the thousand.
    if let Some(wait) =
        throttle::take(&state.db, &SIGNUP_PER_ADDRESS, &[&address.as_string()]).await?
    {
        tracing::warn!(ip = %address.0, "signup: refused, too many accounts from this address");
        return Ok(throttled(&SIGNUP_PER_ADDRESS, wait));
    }
    if accounts::by_name(&state.db, &username).await?.is_some() {
        return Ok(refuse("That username is taken; choose another.")?);
    }
    let Ok(hash) = state.passwords.hash(password).await? else {
        return Ok(busy());
    };
    let scopes = ScopeSet::parse(NEW_USER_SCOPES).map_err(Internal::new)?;
    let new_user = NewUser {
        username: &username,
        password_hash: &hash,
        allowed_scopes: &scopes,
        name: &username,
        email_verified: false,
    };
    let Some(user_id) = accounts::create(&state.db, &new_user).await? else {
        return Ok(refuse("That username is taken; choose another.")?);
    };
    let cookie = session::log_in(&state, &session, &user_id).await?;
    tracing::info!(username, "signup: new account, logged in");
    Ok((jar.add(cookie), see_other(&after_login(&request_id))).into_response())
}

/// 3 to 32 characters of `a-z 0-9 . _ -`, starting with a letter.
fn check_username(username: &str) -> Result<(), &'static str> {
    let valid = (3..=32).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(
            "The username must be 3 to 32 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter.",
        )
    }
}

/// At least 10 characters with a letter and a digit, not containing the username.
fn check_password(username: &str, password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 10 {
        return Err("The password must have at least 10 characters.");
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(
            "The password must be at most 72 bytes (bcrypt ignores anything longer, so a longer password would not be what protects the account).",
        );
    }
    if !password.chars().any(char::is_alphabetic) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err("The password must contain at least one letter and one digit.");
    }
    if password.to_lowercase().contains(username) {
        return Err("The password must not contain the username.");
    }
    Ok(())
}
