//! `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662): what a client can do with
//! a token after it got it; and `POST /lab/revocations`, how a revocation reaches a resource
//! server that validates JWTs locally.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use server_kit::trace::{Check, Recorder};
use shared::{Audience, ErrorResponse, TokenErrorCode, TokenType};
use utoipa::ToSchema;

use crate::error::{ApiError, Internal};
use crate::model::Client;
use crate::protocol::client_auth;
use crate::protocol::tokens;
use crate::routes::api_doc;
use crate::routes::form::{authorization, parse_form};
use crate::routes::json_error::no_store;
use crate::state::AppState;
use crate::store;

/// The form of both endpoints (RFC 7009 §2.1, RFC 7662 §2.1).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct TokenForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 7662 §2.2: `active`, and for an active token what it is. An inactive token gets
/// `{"active": false}` and nothing more, whatever the reason.
#[derive(Debug, Default, Serialize, ToSchema)]
pub(crate) struct Introspection {
    active: bool,
    /// `Bearer` for an access token. A refresh token has none: "refresh_token" is a hint
    /// value (RFC 7009 §2.1), not a token type (RFC 6749 §7.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<TokenType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<Audience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
}

/// The form of either endpoint, and the client it authenticates (RFC 6749 §2.3, as RFC 7009
/// §2.1 and RFC 7662 §2.1 ask), with how it did.
async fn authenticated_form(
    state: &AppState,
    trace: &Recorder,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(TokenForm, Client, client_auth::Method), ApiError> {
    let form: TokenForm = trace.check(&FORM, parse_form(headers, body))?;
    let authenticated = client_auth::authenticate(
        state,
        authorization(headers),
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await;
    let (client, method) = trace.check(&client_auth::CLIENT_AUTHENTICATED, authenticated)?;
    Ok((form, client, method))
}

/// RFC 7009 §2.1, RFC 7662 §2.1: a POST form, each parameter once.
const FORM: Check = Check::new(
    "form",
    "RFC 7009 §2.1",
    "A form body (application/x-www-form-urlencoded) with every parameter at most once.",
);
const TOKEN_PRESENT: Check = Check::new(
    "token_present",
    "RFC 7009 §2.1",
    "The form names the token.",
);
const ISSUED_TO: Check = Check::new(
    "token_issued_to_client",
    "RFC 7009 §2.1",
    "The token was issued to the client asking to revoke it.",
);
const REVOKED: Check = Check::new("revoked", "RFC 7009 §2.2", "The token no longer works.");
const MAY_INTROSPECT: Check = Check::new(
    "client_may_introspect",
    "RFC 7662 §2.1",
    "The client authenticated with a secret and is registered to introspect tokens.",
);
const ACTIVE: Check = Check::new(
    "token_active",
    "RFC 7662 §2.2",
    "The token is active: issued here, not revoked, not expired.",
);

/// The form's `token`.
fn token_of(form: &TokenForm) -> Result<&str, ApiError> {
    form.token
        .as_deref()
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidRequest, "token is missing"))
}

/// A token this server issued, found by its value.
enum Found {
    Refresh(store::RefreshTokenRow),
    Access(shared::AccessTokenClaims, store::AccessTokenRow),
}

/// Looks the token up as a refresh token (by hash) and as an access token (by verifying
/// our own signature, then the record of its `jti`). The hint only saves a lookup
/// (RFC 7009 §2.1), so both are tried whatever it says.
async fn find(state: &AppState, token: &str) -> Result<Option<Found>, Internal> {
    let hash = shared::digest::sha256_hex(token.as_bytes());
    if let Some(row) = store::find_refresh_token(&state.db, &hash).await? {
        return Ok(Some(Found::Refresh(row)));
    }
    let Some(claims) = tokens::verify_access_token(state, token).await? else {
        return Ok(None);
    };
    Ok(store::find_access_token(&state.db, &claims.jti)
        .await?
        .map(|row| Found::Access(claims, row)))
}

/// `POST /revoke`. RFC 7009 §2.2: "The authorization server responds with HTTP status code
/// 200 if the token has been revoked successfully or if the client submitted an invalid
/// token", so the answer never tells whether a token existed.
#[utoipa::path(
    post,
    path = "/revoke",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or the token was not valid anyway (RFC 7009 §2.2)"),
        api_doc::ClientRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (form, client, _) = authenticated_form(&state, &trace, &headers, body).await?;
    let token = trace.check(&TOKEN_PRESENT, token_of(&form))?;
    let hint = form.token_type_hint.as_deref().unwrap_or("none");
    let found = find(&state, token).await?;
    // RFC 7009 §2.1: the server "verifies whether the token was issued to the client
    // making the revocation request. If this validation fails, the request is refused".
    let owner = match &found {
        Some(Found::Refresh(row)) => Some(row.client_id.as_str()),
        Some(Found::Access(_, row)) => Some(row.client_id.as_str()),
        None => None,
    };
    match owner {
        Some(owner) => {
            let yours = if owner == client.client_id.as_str() {
                Ok(())
            } else {
                Err(not_yours())
            };
            trace.check(&ISSUED_TO, yours)?;
        }
        None => trace.not_applicable(&ISSUED_TO, "the token is not one this server knows"),
    }
    match found {
        // RFC 7009 §2.1: revoking a refresh token "SHOULD also invalidate all access tokens
        // based on the same authorization grant": the whole family goes.
        Some(Found::Refresh(row)) => {
            store::revoke_grant(&state.db, &row.grant_id).await?;
            trace.passed(&REVOKED, || {
                "A refresh token: it and every token of its grant no longer work.".to_owned()
            });
            tracing::info!(client = %client.client_id, hint, "revoke: refresh token revoked with its whole grant");
        }
        Some(Found::Access(claims, _)) => {
            store::revoke_access_token(&state.db, &claims.jti).await?;
            trace.passed(&REVOKED, || {
                "An access token: it no longer works.".to_owned()
            });
            tracing::info!(client = %client.client_id, hint, "revoke: access token revoked");
        }
        None => {
            trace.not_applicable(
                &REVOKED,
                "an unknown token: nothing to revoke, and the answer is 200 all the same",
            );
            tracing::info!(client = %client.client_id, hint, "revoke: unknown token; nothing to do");
        }
    }
    let mut response = StatusCode::OK.into_response();
    no_store(&mut response);
    Ok(response)
}

fn not_yours() -> ApiError {
    ApiError::new(
        TokenErrorCode::UnauthorizedClient,
        "the token was issued to another client",
    )
}

/// `POST /introspect` (RFC 7662 §2), for authenticated clients allowed to introspect (the
/// resource server). `{"active": false}` says nothing more, whatever the reason (§2.2).
#[utoipa::path(
    post,
    path = "/introspect",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "RFC 7662 §2.2", body = Introspection),
        api_doc::ClientRefusals,
        (status = 403, description = "This client may not introspect", body = ErrorResponse<TokenErrorCode>),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn introspect(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (form, client, method) = authenticated_form(&state, &trace, &headers, body).await?;
    if let Some(refused) = refused_to_introspect(&trace, &client, method) {
        return Ok(refused);
    }
    let token = trace.check(&TOKEN_PRESENT, token_of(&form))?;
    let answer = describe(&state, token).await?;
    if answer.active {
        trace.pass(&ACTIVE);
    } else {
        // As much as the answer says (RFC 7662 §2.2), no more.
        trace.refused(&ACTIVE, || {
            "Not active (revoked, expired, unknown or not issued here): the answer is {\"active\": false} and nothing more.".to_owned()
        });
    }
    tracing::info!(client = %client.client_id, active = answer.active, "introspect");
    let mut response = Json(answer).into_response();
    no_store(&mut response);
    Ok(response)
}

/// The introspection answer for `token`.
async fn describe(state: &AppState, token: &str) -> Result<Introspection, Internal> {
    let now = server_kit::unix_now();
    Ok(match find(state, token).await? {
        Some(Found::Refresh(row)) => {
            let grant = store::find_grant(&state.db, &row.grant_id).await?;
            let live = row.rotated_at.is_none()
                && row.revoked_at.is_none()
                && row.expires_at > now
                && grant.as_ref().is_some_and(|g| g.revoked_at.is_none());
            match grant.filter(|_| live) {
                Some(grant) => Introspection {
                    active: true,
                    client_id: Some(row.client_id),
                    scope: Some(row.scope),
                    sub: grant.user_id,
                    exp: Some(row.expires_at),
                    iss: Some(state.settings.issuer.clone()),
                    ..Introspection::default()
                },
                None => Introspection::default(),
            }
        }
        // The stored expiry decides, not the token's own `exp`.
        Some(Found::Access(claims, row)) if row.is_live(now) => Introspection {
            active: true,
            token_type: Some(TokenType::Bearer),
            client_id: Some(claims.client_id),
            scope: (!claims.scope.is_empty()).then(|| claims.scope.to_string()),
            sub: Some(claims.sub),
            username: claims.preferred_username.clone(),
            preferred_username: claims.preferred_username,
            iss: Some(claims.iss),
            aud: Some(claims.aud),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            jti: Some(claims.jti),
            auth_time: claims.auth_time,
        },
        Some(Found::Access(..)) | None => Introspection::default(),
    })
}

/// RFC 7662 §2.1: "the endpoint MUST also require some form of authorization"; a public
/// client proves nothing, and only clients registered for it (the resource server) may
/// ask. `None` if the client may; otherwise the refusal, to answer as it is.
fn refused_to_introspect(
    trace: &Recorder,
    client: &Client,
    method: client_auth::Method,
) -> Option<Response> {
    if method == client_auth::Method::None {
        let why = "this endpoint requires client authentication";
        trace.refused(&MAY_INTROSPECT, || format!("invalid_client: {why}"));
        return Some(ApiError::InvalidClient(why.to_owned()).into_response());
    }
    if !client.can_introspect {
        let body = ErrorResponse::new(
            TokenErrorCode::UnauthorizedClient,
            "this client may not introspect tokens",
        );
        trace.refused(&MAY_INTROSPECT, || {
            "unauthorized_client: this client may not introspect tokens".to_owned()
        });
        return Some((StatusCode::FORBIDDEN, Json(body)).into_response());
    }
    trace.pass(&MAY_INTROSPECT);
    None
}

/// One revoked access token, as `POST /lab/revocations` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RevokedToken {
    /// The token's `jti` (RFC 7519 §4.1.7): it names the token, and is no credential.
    jti: String,
    /// When the token expires anyway; it is listed until then.
    exp: i64,
}

/// The answer of `POST /lab/revocations`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Revocations {
    /// Every access token revoked and not yet expired.
    revoked: Vec<RevokedToken>,
}

/// `POST /lab/revocations`: every access token revoked and not yet expired, for the clients
/// allowed to introspect (the resource servers). RFC 7009 §2 lets revocation take effect at
/// the resource only by introspection, and RFC 9700 §4.2.4 asks that it reach the resource;
/// a resource server that validates JWTs locally (fast, no request per token) follows
/// this list, every half second by default, and refuses a token it names (`not_revoked`
/// in its trace). Under `/lab/`, as the lab's own endpoints are, so its polls are in no
/// decision trace. The whole list each time, not what changed since a cursor: a list that
/// only grows with revocations (and shrinks as tokens expire) needs no cursor that
/// replicas committing out of order could skip, and a resource server that restarts has
/// it all again at its first call. The lab's own endpoint, not an RFC's.
#[utoipa::path(
    post,
    path = "/lab/revocations",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Every revoked access token not yet expired", body = Revocations),
        api_doc::ClientRefusals,
        (status = 403, description = "This client may not introspect", body = ErrorResponse<TokenErrorCode>),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn revocations(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (_, client, method) = authenticated_form(&state, &trace, &headers, body).await?;
    if let Some(refused) = refused_to_introspect(&trace, &client, method) {
        return Ok(refused);
    }
    let revoked = store::revoked_access_tokens(&state.db, server_kit::unix_now())
        .await?
        .into_iter()
        .map(|(jti, exp)| RevokedToken { jti, exp })
        .collect();
    let mut response = Json(Revocations { revoked }).into_response();
    no_store(&mut response);
    Ok(response)
}
