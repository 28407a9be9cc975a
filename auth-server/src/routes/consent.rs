//! `GET /consent` shows what the client asks for; `POST /consent` records the user's
//! decision and sends the browser back to the client with a code or `access_denied`.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use server_kit::trace::{Check, Recorder};
use shared::{AuthorizationErrorCode, RedirectUri};

use crate::error::Internal;
use crate::pages::{self, ClientIdentity, ConsentPage, ErrorPage, PageError, ScopeLine};
use crate::protocol::authorization_request::Refusal;
use crate::protocol::decision::{self, Approval, DECISION, FRESH_LOGIN, GRANTABLE, REMEMBERED};
use crate::protocol::pending;
use crate::protocol::session::user_of;
use crate::routes::page_flow::{
    PENDING_REQUEST, SESSION_CSRF, bad_form, checked_session, expired_request,
};
use crate::routes::redirect::{AuthorizationRedirect, ErrorRedirect};
use crate::routes::session::{self, Session};
use crate::state::AppState;
use crate::store::{PendingRequest, User};

#[derive(Debug, Deserialize)]
pub(crate) struct ConsentQuery {
    request_id: Option<String>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    trace: Recorder,
    jar: CookieJar,
    query: Result<Query<ConsentQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.map_err(|_| bad_form())?;
    let request_id = query.request_id.as_deref().unwrap_or("");
    trace.key("request_id", request_id);
    let logged_in = async {
        let session = session::current(&state, &jar)
            .await?
            .ok_or_else(expired_request)?;
        let user = logged_in_user(&state, &session).await?;
        Ok::<_, PageError>((session, user))
    };
    let (session, user) = trace.check(&LOGGED_IN, logged_in.await)?;
    let request = pending(&state, &trace, request_id, &session, false).await?;
    let client = pending::client_of(&state.db, &request)
        .await?
        .ok_or_else(expired_request)?;
    if let Some(granted) = decision::remembered(&state.db, &client, &user, &request).await? {
        trace.passed(&REMEMBERED, || {
            format!("The user approved {granted} for this client before: no page, a code at once.")
        });
        // Taken out, as a decision would: the request is answered once.
        let request = pending::take(&state.db, &request.id, &session)
            .await?
            .ok_or_else(expired_request)?;
        tracing::info!(
            username = user.username,
            client = request.client_id,
            scope = %granted,
            "consent: remembered from an earlier approval; not asking again"
        );
        let approval = Approval {
            request: &request,
            user: &user,
            granted: &granted,
            auth_time: session.auth_time.unwrap_or_else(server_kit::unix_now),
        };
        return Ok(send_code(&state, &trace, &approval).await?);
    }
    trace.not_applicable(
        &REMEMBERED,
        "no remembered approval covers this request: the user is asked",
    );
    let grantable = user.allowed_scopes()?.with_offline_access();
    let scopes = request
        .scopes()?
        .iter()
        .map(|scope| ScopeLine {
            name: scope.to_string(),
            description: scope.description().unwrap_or(""),
            grantable: grantable.contains(scope.as_str()),
        })
        .collect();
    Ok(pages::render(
        StatusCode::OK,
        &ConsentPage {
            client: &ClientIdentity::new(&client, &request.redirect_uri),
            username: &user.username,
            request_id: &request.id,
            csrf_token: &session.csrf_token,
            scopes,
            remembered: client.consent_may_be_remembered(),
        },
    )?)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConsentForm {
    request_id: Option<String>,
    csrf_token: Option<String>,
    decision: Option<String>,
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    trace: Recorder,
    jar: CookieJar,
    form: Result<Form<ConsentForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| bad_form())?;
    let request_id = form.request_id.as_deref().unwrap_or("");
    trace.key("request_id", request_id);
    let session = checked_session(&state, &jar, form.csrf_token.as_deref()).await;
    let session = trace.check(&SESSION_CSRF, session)?;
    let user = trace.check(&LOGGED_IN, logged_in_user(&state, &session).await)?;
    // Taking the request out makes the decision single use: a second submit finds nothing.
    let request = pending(&state, &trace, request_id, &session, true).await?;
    let back = ErrorRedirect {
        redirect_uri: RedirectUri::new(&request.redirect_uri),
        state: request.state.clone(),
        issuer: state.settings.issuer.clone(),
        // The user has logged in and decided: the answer goes back at once.
        ask_first: false,
    };
    let refuse = |refusal: Refusal| Ok(back.refuse(refusal).into_response());
    match decision::check_decision(form.decision.as_deref()) {
        Ok(()) => trace.passed(&DECISION, || "The user approved.".to_owned()),
        Err(refusal) => {
            trace.refused(&DECISION, || refusal.to_string());
            if refusal.code == AuthorizationErrorCode::AccessDenied {
                tracing::info!(
                    username = user.username,
                    client = request.client_id,
                    "consent: the user denied access"
                );
            }
            return refuse(refusal);
        }
    }
    let granted = match decision::grantable(&request.scopes()?, &user.allowed_scopes()?) {
        Ok(granted) => granted,
        Err(refusal) => {
            trace.refused(&GRANTABLE, || refusal.to_string());
            return refuse(refusal);
        }
    };
    trace.passed(&GRANTABLE, || format!("Granted: {granted}."));
    let client = pending::client_of(&state.db, &request)
        .await?
        .ok_or_else(expired_request)?;
    decision::remember(&state.db, &client, &user, &granted).await?;
    let approval = Approval {
        request: &request,
        user: &user,
        granted: &granted,
        auth_time: session.auth_time.unwrap_or_else(server_kit::unix_now),
    };
    Ok(send_code(&state, &trace, &approval).await?)
}

const LOGGED_IN: Check = Check::new(
    "logged_in",
    "OIDC Core §3.1.2.3",
    "This browser's session belongs to a logged-in user.",
);
/// The pending authorization request `id` of `session` (taken out with `take`, so it is
/// answered once), with its `state` as a key of the trace.
async fn pending(
    state: &AppState,
    trace: &Recorder,
    id: &str,
    session: &Session,
    take: bool,
) -> Result<PendingRequest, PageError> {
    let found = if take {
        pending::take(&state.db, id, session).await?
    } else {
        pending::find(&state.db, id, session).await?
    };
    let request = trace.check(
        &PENDING_REQUEST,
        found.ok_or_else(|| PageError::from(expired_request())),
    )?;
    if let Some(value) = request.state.as_deref() {
        trace.key("state", value);
    }
    // OIDC Core §3.1.2.1: with `prompt=login` or a `max_age` the login was older than, the
    // server "MUST attempt to actively re-authenticate"; the login page was shown, and only
    // a login made since lets the request go on (and gives the ID token its `auth_time`).
    if trace
        .check(&FRESH_LOGIN, decision::check_fresh_login(&request))
        .is_err()
    {
        return Err(PageError::Page(
            ErrorPage::new(
                StatusCode::FORBIDDEN,
                "Log in first",
                "The application asked for you to log in again before it goes on. Go back to the application and start again, then log in on the page it opens.",
            )
            .rule("OIDC Core §3.1.2.1: with prompt=login or max_age the server must make the user log in again; consent cannot be reached without that login."),
        ));
    }
    Ok(request)
}

/// Answers the approved request with a code (`protocol/decision.rs`), sent back to the
/// client's redirect URI with `state` and `iss`.
pub(crate) async fn send_code(
    state: &AppState,
    trace: &Recorder,
    approval: &Approval<'_>,
) -> Result<Response, Internal> {
    let settings = &state.settings;
    let issued = decision::issue_code(
        &state.db,
        trace,
        approval,
        (&settings.issuer, settings.code_ttl),
        server_kit::unix_now(),
    )
    .await?;
    Ok(AuthorizationRedirect::from(issued).into_response())
}

/// The user of a logged-in session.
async fn logged_in_user(state: &AppState, session: &Session) -> Result<User, PageError> {
    let not_logged_in = || {
        ErrorPage::new(
            StatusCode::BAD_REQUEST,
            "Not logged in",
            "Log in first: go back to the application and start again.",
        )
    };
    Ok(user_of(&state.db, session)
        .await?
        .ok_or_else(not_logged_in)?)
}
