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
use shared::{AuthorizationCode, AuthorizationErrorCode, RedirectUri, ScopeSet};

use crate::error::Internal;
use crate::model::{Client, Grant};
use crate::pages::{self, ClientIdentity, ConsentPage, ErrorPage, PageError, ScopeLine};
use crate::routes::page_flow::{
    PENDING_REQUEST, SESSION_CSRF, bad_form, checked_session, expired_request,
};
use crate::routes::redirect::{AuthorizationRedirect, ErrorRedirect};
use crate::routes::session::{self, Session};
use crate::state::AppState;
use crate::store::{self, CodeRecord, PendingRequest, User};

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
    let client = store::find_client(&state.db, &request.client_id)
        .await?
        .ok_or_else(expired_request)?;
    if let Some(granted) = remembered(&state, &client, &user, &request).await? {
        trace.passed(&REMEMBERED, || {
            format!("The user approved {granted} for this client before: no page, a code at once.")
        });
        // Taken out, as a decision would: the request is answered once.
        let request = store::take_request(&state.db, &request.id, &session.id_hash)
            .await?
            .ok_or_else(expired_request)?;
        tracing::info!(
            username = user.username,
            client = request.client_id,
            scope = %granted,
            "consent: remembered from an earlier approval; not asking again"
        );
        let auth_time = session.auth_time.unwrap_or_else(server_kit::unix_now);
        return Ok(send_code(&state, &trace, &request, &user, &granted, auth_time).await?);
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

/// The scopes to grant without asking, if the user's consent to this client is remembered
/// and covers the whole request: not with `prompt=consent`, only for a client whose
/// identity can be assured (`Client::consent_may_be_remembered`), and only while the user
/// may still grant every scope asked for.
pub(crate) async fn remembered(
    state: &AppState,
    client: &Client,
    user: &User,
    request: &PendingRequest,
) -> Result<Option<ScopeSet>, Internal> {
    if request.prompt_consent || !client.consent_may_be_remembered() {
        return Ok(None);
    }
    let requested = request.scopes()?;
    let approved = store::remembered_scope(&state.db, &user.id, &request.client_id).await?;
    let grantable = user.allowed_scopes()?.with_offline_access();
    Ok((requested.is_subset(&approved) && requested.is_subset(&grantable)).then_some(requested))
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
    let refuse =
        |code, description: &str| Ok(back.with(code, description.to_owned()).into_response());

    match form.decision.as_deref() {
        Some("approve") => trace.passed(&DECISION, || "The user approved.".to_owned()),
        Some("deny") => {
            trace.refused(&DECISION, || {
                "access_denied: the user denied the request".to_owned()
            });
            tracing::info!(
                username = user.username,
                client = request.client_id,
                "consent: the user denied access"
            );
            return refuse(
                AuthorizationErrorCode::AccessDenied,
                "the user denied the request",
            );
        }
        _ => {
            trace.refused(&DECISION, || {
                "invalid_request: the consent form had no decision".to_owned()
            });
            return refuse(
                AuthorizationErrorCode::InvalidRequest,
                "the consent form had no decision",
            );
        }
    }

    // The token carries what was asked for *and* the user may grant; the token response's
    // `scope` then tells the client what it really got (RFC 6749 §3.3, §5.1).
    let granted: ScopeSet = request
        .scopes()?
        .intersection(&user.allowed_scopes()?.with_offline_access());
    if granted.is_empty() {
        let why = "this account may not grant any of the requested scopes";
        trace.refused(&GRANTABLE, || format!("access_denied: {why}"));
        return refuse(AuthorizationErrorCode::AccessDenied, why);
    }
    trace.passed(&GRANTABLE, || format!("Granted: {granted}."));
    let client = store::find_client(&state.db, &request.client_id)
        .await?
        .ok_or_else(expired_request)?;
    if client.consent_may_be_remembered() {
        store::remember_consent(&state.db, &user.id, &request.client_id, &granted).await?;
    }
    let auth_time = session.auth_time.unwrap_or_else(server_kit::unix_now);
    Ok(send_code(&state, &trace, &request, &user, &granted, auth_time).await?)
}

const LOGGED_IN: Check = Check::new(
    "logged_in",
    "OIDC Core §3.1.2.3",
    "This browser's session belongs to a logged-in user.",
);
const FRESH_LOGIN: Check = Check::new(
    "fresh_login",
    "OIDC Core §3.1.2.1",
    "If the client asked for a new login (prompt=login, max_age), the user has logged in since the request was made.",
);
const REMEMBERED: Check = Check::new(
    "consent_remembered",
    "RFC 6749 §4.1.1",
    "The user approved these scopes for this client before.",
);
const DECISION: Check = Check::new(
    "decision",
    "RFC 6749 §4.1.2.1",
    "The user approved the request.",
);
const GRANTABLE: Check = Check::new(
    "scope_grantable",
    "RFC 6749 §3.3",
    "The user may grant at least one of the scopes asked for.",
);
const CODE_ISSUED: Check = Check::new(
    "code_issued",
    "RFC 6749 §4.1.2",
    "A single-use code, bound to this client, redirect URI and PKCE challenge, goes back with state and iss.",
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
        store::take_request(&state.db, id, &session.id_hash).await?
    } else {
        store::find_request(&state.db, id, &session.id_hash).await?
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
    if request.login_required {
        trace.refused(&FRESH_LOGIN, || {
            "The client asked for a new login, and the user has not logged in since the request was made.".to_owned()
        });
        return Err(PageError::Page(
            ErrorPage::new(
                StatusCode::FORBIDDEN,
                "Log in first",
                "The application asked for you to log in again before it goes on. Go back to the application and start again, then log in on the page it opens.",
            )
            .rule("OIDC Core §3.1.2.1: with prompt=login or max_age the server must make the user log in again; consent cannot be reached without that login."),
        ));
    }
    trace.pass(&FRESH_LOGIN);
    Ok(request)
}

/// Answers `request` with a code: a grant of `granted` from `user`, and a code bound to
/// the request's redirect URI and PKCE challenge, sent back with `state` and `iss`
/// (RFC 6749 §4.1.2, RFC 9207).
pub(crate) async fn send_code(
    state: &AppState,
    trace: &Recorder,
    request: &PendingRequest,
    user: &User,
    granted: &ScopeSet,
    auth_time: i64,
) -> Result<Response, Internal> {
    let grant = Grant::new(
        &request.client_id,
        Some(&user.id),
        granted,
        &request.resource,
        Some(auth_time),
    );
    store::insert_grant(&state.db, &grant).await?;
    let code = AuthorizationCode::generate();
    store::insert_code(
        &state.db,
        &shared::digest::sha256_hex(code.secret().as_bytes()),
        &CodeRecord {
            grant_id: grant.id,
            client_id: request.client_id.clone(),
            user_id: user.id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: granted.to_string(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            expires_at: server_kit::unix_now() + state.settings.code_ttl,
            used_at: None,
        },
    )
    .await?;
    tracing::info!(
        username = user.username,
        client = request.client_id,
        scope = %granted,
        code = %server_kit::trace::mask(code.secret()),
        "consent: approved; sending an authorization code back to the client"
    );
    trace.passed(&CODE_ISSUED, || {
        format!(
            "Code {} (single use, {} s), bound to this client, its redirect URI and the PKCE challenge, goes back with state and iss.",
            server_kit::trace::mask(code.secret()),
            state.settings.code_ttl
        )
    });
    let mut params = vec![("code", code.secret().to_owned())];
    params.extend(request.state.clone().map(|s| ("state", s)));
    params.push(("iss", state.settings.issuer.clone()));
    Ok(AuthorizationRedirect {
        redirect_uri: RedirectUri::new(&request.redirect_uri),
        params,
        ask_first: false,
    }
    .into_response())
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
    let user_id = session.user_id.as_deref().ok_or_else(not_logged_in)?;
    Ok(store::find_user(&state.db, user_id)
        .await?
        .ok_or_else(not_logged_in)?)
}
