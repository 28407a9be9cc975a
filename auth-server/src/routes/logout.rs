//! `GET`/`POST /logout` (OpenID Connect RP-Initiated Logout 1.0, §2-3): ends the browser's
//! session on the authorization server, then shows a page or returns to a
//! `post_logout_redirect_uri` registered for the client (exact match, like redirect URIs:
//! otherwise logout would be an open redirector).
//!
//! A logout request is a plain link, so any site can make the browser send one (RP-Initiated
//! Logout §6: "Logout requests without a valid id_token_hint value are a potential means of
//! denial of service"). The session ends at once only with an `id_token_hint` this server
//! signed for the named `client_id`, about the logged-in user and this very login;
//! otherwise the user confirms on a page whose form carries
//! the session's CSRF token (§2: the OP "SHOULD ask the End-User whether to log out").

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shared::RedirectUri;

use crate::pages::{self, ErrorPage, LogoutPage, MessagePage, PageError};
use crate::protocol::{self, clients, tokens};
use crate::routes::page_flow::{bad_form, see_other};
use crate::routes::session;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(crate) struct LogoutParams {
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    id_token_hint: Option<String>,
    /// Present when the user confirmed on the confirmation page.
    csrf_token: Option<String>,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    // `Form` reads the query string of a GET and the body of a POST.
    params: Result<Form<LogoutParams>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(params) = params.map_err(|_| bad_form())?;
    // Check where to go before ending anything: a bad target is refused outright.
    let target = check_post_logout_redirect(&state, &params).await?;
    if let Some(current) = session::current(&state, &jar).await? {
        let confirmed = current.csrf_matches(params.csrf_token.as_deref())
            || hint_names(&state, &params, &current).await?;
        if !confirmed {
            tracing::info!("logout: no valid id_token_hint; asking the user to confirm");
            return confirmation(&params, &current.csrf_token);
        }
        protocol::session::end(&state.db, &current).await?;
        tracing::info!(
            user = current.user_id.as_deref().unwrap_or("-"),
            "logout: session ended"
        );
    }
    let jar = jar.remove(session::removal(&state));
    let next = match target {
        Some(mut url) => {
            if let Some(value) = &params.state {
                url.query_pairs_mut().append_pair("state", value);
            }
            see_other(url.as_str())
        }
        None => pages::render(
            StatusCode::OK,
            &MessagePage {
                title: "Logged out",
                message: "Your session on the authorization server has ended. The next authorization request will ask you to log in again.",
            },
        )?,
    };
    Ok((jar, next).into_response())
}

/// Is `id_token_hint` an ID token this server signed (expired or not) for the named
/// client, about the session's user and from the session's own login? Only then did the
/// client the user is signed in to ask for the logout (RP-Initiated Logout §2, §6): an ID
/// token any other client once received, or one from an earlier login, does not end the
/// session without the user's word (`docs/security-review.md`, S3-8).
async fn hint_names(
    state: &AppState,
    params: &LogoutParams,
    session: &session::Session,
) -> Result<bool, PageError> {
    let (Some(hint), Some(client_id), Some(user_id)) = (
        params.id_token_hint.as_deref(),
        params.client_id.as_deref(),
        session.user_id.as_deref(),
    ) else {
        return Ok(false);
    };
    let Some(claims) = tokens::verify_id_token(state, hint).await? else {
        return Ok(false);
    };
    Ok(claims.sub == user_id
        && claims.aud.contains(client_id)
        && claims.auth_time.is_some()
        && claims.auth_time == session.auth_time)
}

/// The page that asks "log out?", its form carrying the CSRF token and the request.
fn confirmation(params: &LogoutParams, csrf_token: &str) -> Result<Response, PageError> {
    Ok(pages::render(
        StatusCode::OK,
        &LogoutPage {
            csrf_token,
            client_id: params.client_id.as_deref().unwrap_or(""),
            post_logout_redirect_uri: params.post_logout_redirect_uri.as_deref().unwrap_or(""),
            state: params.state.as_deref().unwrap_or(""),
        },
    )?)
}

async fn check_post_logout_redirect(
    state: &AppState,
    params: &LogoutParams,
) -> Result<Option<url::Url>, PageError> {
    let Some(uri) = params.post_logout_redirect_uri.as_deref() else {
        return Ok(None);
    };
    let refuse = |message: String| {
        PageError::from(ErrorPage::new(StatusCode::BAD_REQUEST, "Logout redirect refused", message).rule(
            "A post-logout redirect URI must be registered for the client and match exactly, or logout would redirect anywhere an attacker likes.",
        ))
    };
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| refuse("post_logout_redirect_uri needs a client_id".to_owned()))?;
    let client = clients::find(&state.db, client_id).await?.ok_or_else(|| {
        refuse(format!(
            "No client with the id \"{client_id}\" is registered here."
        ))
    })?;
    if !client
        .post_logout_redirect_uris
        .contains(&RedirectUri::new(uri))
    {
        return Err(refuse(format!(
            "\"{uri}\" is not a registered post-logout redirect URI of \"{client_id}\"."
        )));
    }
    url::Url::parse(uri)
        .map(Some)
        .map_err(|_| refuse(format!("\"{uri}\" is not a URL.")))
}
