//! `GET`/`POST /logout` (OpenID Connect RP-Initiated Logout 1.0, §2-3): ends the browser's
//! session on the authorization server, then shows a page or returns to a
//! `post_logout_redirect_uri` registered for the client (exact match, like redirect URIs:
//! otherwise logout would be an open redirector).

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use shared::RedirectUri;

use crate::pages::{self, ErrorPage, MessagePage, PageError};
use crate::routes::login::bad_form;
use crate::session;
use crate::state::AppState;
use crate::store;

#[derive(Debug, Deserialize)]
pub(crate) struct LogoutParams {
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
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
    if let Some(current) = session::current(&state.db, &jar).await? {
        session::delete(&state.db, &current.id_hash).await?;
        tracing::info!(
            user = current.user_id.as_deref().unwrap_or("-"),
            "logout: session ended"
        );
    }
    let jar = jar.remove(Cookie::build(session::COOKIE).path("/"));
    let next = match target {
        Some(mut url) => {
            if let Some(value) = &params.state {
                url.query_pairs_mut().append_pair("state", value);
            }
            crate::routes::authorize::see_other(url.as_str())
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
    let client = store::find_client(&state.db, client_id)
        .await?
        .ok_or_else(|| {
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
