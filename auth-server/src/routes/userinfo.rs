//! `GET`/`POST /userinfo` (OpenID Connect Core §5.3): claims about the user, by scope,
//! for a bearer access token this server issued. Errors per RFC 6750 §3.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use server_kit::trace::bearer::{HEADER as BEARER, NOT_IN_URL};
use server_kit::trace::{Check, Recorder};
use shared::form::{form_decode, param};
use shared::{BearerErrorCode, ErrorResponse, bearer_challenge};
use utoipa::ToSchema;

use crate::error::{ApiError, Internal};
use crate::model::Finding;
use crate::protocol::tokens;
use crate::state::AppState;
use crate::store;

const REALM: &str = "oauth-lab";

/// Claims about the user, by scope (OpenID Connect Core §5.4): `sub` always, `name` and
/// `preferred_username` with `profile`, `email` and `email_verified` with `email`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserInfo {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// OIDC Core §5.1: true only if the address was verified (the demo accounts').
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
}

#[utoipa::path(
    method(get, post),
    path = "/userinfo",
    responses(
        (status = 200, description = "Claims about the user (OpenID Connect Core §5.3)", body = UserInfo),
        (status = 400, description = "A token in the URL, refused (OAuth 2.1 §5.2.2)", body = ErrorResponse<BearerErrorCode>),
        (status = 401, description = "No, or an invalid, bearer token (RFC 6750 §3)", body = ErrorResponse<BearerErrorCode>),
        (status = 403, description = "The token lacks the openid scope", body = ErrorResponse<BearerErrorCode>),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn userinfo(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, UserInfoError> {
    // OAuth 2.1 §5.2.2 (RFC 6750 §2.3 is gone): a token in the URL ends up in logs, history
    // and Referer headers, so it is refused, not read; if it is a live token of this
    // server, the client it was issued to gets a finding on its report.
    let in_url = query_token(query.as_deref());
    if let Some(token) = &in_url
        && let Some(claims) = tokens::verify_access_token(&state, token).await?
    {
        let finding = Finding::TokenInQuery;
        store::record_finding(&state.db, &claims.client_id, finding, "/userinfo").await?;
    }
    trace.check(
        &NOT_IN_URL,
        match in_url {
            Some(_) => Err(UserInfoError::refuse(
                StatusCode::BAD_REQUEST,
                BearerErrorCode::InvalidRequest,
                "access tokens are not accepted in the URL (they leak through logs and Referer); send Authorization: Bearer <token>",
            )),
            None => Ok(()),
        },
    )?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let token = trace.check(
        &BEARER,
        token.ok_or_else(|| {
            UserInfoError::refuse(
                StatusCode::UNAUTHORIZED,
                BearerErrorCode::InvalidRequest,
                "send Authorization: Bearer <access token>",
            )
        }),
    )?;
    let invalid = || {
        UserInfoError::refuse(
            StatusCode::UNAUTHORIZED,
            BearerErrorCode::InvalidToken,
            "the access token is invalid, expired or revoked",
        )
    };
    let verified = tokens::verify_access_token(&state, &token).await?;
    let claims = trace.check(&SIGNATURE, verified.ok_or_else(invalid))?;
    // What the server stored decides, not what the token says: revoked, or past the expiry
    // recorded when it was issued.
    let live = store::find_access_token(&state.db, &claims.jti)
        .await?
        .is_some_and(|row| row.is_live(server_kit::unix_now()));
    trace.check(&LIVE, if live { Ok(()) } else { Err(invalid()) })?;
    // OIDC Core §5.3: the UserInfo endpoint serves tokens obtained with the openid scope.
    let openid = if claims.scope.contains("openid") {
        Ok(())
    } else {
        Err(UserInfoError::Refused {
            status: StatusCode::FORBIDDEN,
            code: BearerErrorCode::InsufficientScope,
            description: "this endpoint needs the openid scope",
            scope: Some("openid"),
        })
    };
    trace.check(&OPENID, openid)?;
    // RFC 9068 §4 / RFC 8707: only a token issued for this endpoint (with `openid`) is
    // accepted; a token meant for a resource server, replayed here, is not.
    let audience = if claims.aud.contains(&state.settings.userinfo_audience()) {
        Ok(())
    } else {
        Err(UserInfoError::refuse(
            StatusCode::UNAUTHORIZED,
            BearerErrorCode::InvalidToken,
            "the access token is not meant for the UserInfo endpoint (aud)",
        ))
    };
    trace.check(&AUDIENCE, audience)?;
    let user = store::find_user(&state.db, &claims.sub).await?;
    let user = trace.check(&USER, user.ok_or_else(invalid))?;
    // OIDC Core §5.4: claims by scope.
    let profile = claims.scope.contains("profile");
    let email = claims.scope.contains("email");
    let body = UserInfo {
        sub: user.id,
        name: profile.then_some(user.name),
        preferred_username: profile.then_some(user.username),
        email: email.then_some(user.email),
        email_verified: email.then_some(user.email_verified),
    };
    Ok(Json(body).into_response())
}

const SIGNATURE: Check = Check::new(
    "token_signature",
    "RFC 9068 §4",
    "The token is an access token signed with one of this server's published keys.",
);
const LIVE: Check = Check::new(
    "token_live",
    "RFC 7009 §2.2",
    "The token is not revoked, and not past the expiry stored when it was issued.",
);
const OPENID: Check = Check::new(
    "openid_scope",
    "OIDC Core §5.3",
    "The token carries the openid scope.",
);
const AUDIENCE: Check = Check::new(
    "audience",
    "RFC 8707 §2",
    "The token was issued for the UserInfo endpoint (its aud names it).",
);
const USER: Check = Check::new(
    "user_exists",
    "OIDC Core §5.3",
    "The user the token is about still exists.",
);

/// How `/userinfo` fails: a bearer-token error (RFC 6750 §3), or a failure on our side.
#[derive(Debug)]
pub(crate) enum UserInfoError {
    Refused {
        status: StatusCode,
        code: BearerErrorCode,
        description: &'static str,
        /// The scope that would do, for `insufficient_scope`.
        scope: Option<&'static str>,
    },
    Internal(Internal),
}

impl UserInfoError {
    fn refuse(status: StatusCode, code: BearerErrorCode, description: &'static str) -> Self {
        Self::Refused {
            status,
            code,
            description,
            scope: None,
        }
    }
}

impl<E: Into<Internal>> From<E> for UserInfoError {
    fn from(error: E) -> Self {
        Self::Internal(error.into())
    }
}

impl std::fmt::Display for UserInfoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused {
                code, description, ..
            } => write!(f, "{}: {description}", code.as_str()),
            Self::Internal(_) => f.write_str("server_error"),
        }
    }
}

impl IntoResponse for UserInfoError {
    fn into_response(self) -> Response {
        match self {
            Self::Refused {
                status,
                code,
                description,
                scope,
            } => (
                status,
                [(
                    header::WWW_AUTHENTICATE,
                    bearer_challenge(REALM, code, description, scope),
                )],
                Json(ErrorResponse::new(code, description)),
            )
                .into_response(),
            Self::Internal(error) => ApiError::Internal(error).into_response(),
        }
    }
}

/// The `access_token` of a query string, if it has one.
fn query_token(query: Option<&str>) -> Option<String> {
    param(&form_decode(query?), "access_token").map(str::to_owned)
}
