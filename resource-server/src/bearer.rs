//! Who is calling: the bearer token from the `Authorization` header, validated for the
//! resource called, and the scope the endpoint needs, named by the extractor's type
//! (`Caller<Read>`; the MCP endpoint names it per tool, `crate::mcp`): a handler cannot
//! forget the check, and every refusal can say which scope would do. Every decision
//! is one access-log line: who, what, and allowed or why not.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use server_kit::trace::bearer::{HEADER as BEARER, NOT_IN_URL};
use server_kit::trace::{Check, Recorder};
use shared::AccessTokenClaims;
use shared::bearer::{HeaderRefusal, header_token, token_in_query};
use shared::trace::OneLine;

use crate::error::ApiError;
use crate::metadata::Protected;
use crate::refusal::Refusal;
use crate::state::AppState;
use crate::store;

/// A scope an endpoint needs.
pub(crate) trait Scope: Send + Sync + 'static {
    const NAME: &'static str;
}

macro_rules! scopes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)+) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub(crate) struct $name;
            impl Scope for $name {
                const NAME: &'static str = $value;
            }
        )+

        /// The `scope` check as it passes for `scope`, in a sentence that names it (made at
        /// compile time: nothing to format per request).
        fn carried(scope: &str) -> &'static Check {
            $(
                if scope == $value {
                    const CARRIED: Check = Check::new(
                        SCOPE.name,
                        SCOPE.rule,
                        concat!("The token carries ", $value, ", which this endpoint needs."),
                    );
                    return &CARRIED;
                }
            )+
            &SCOPE
        }
    };
}
scopes! {
    /// `read`: the caller's profile and notes.
    Read = "read";
    /// `write`: adding notes.
    Write = "write";
    /// `admin`: the server's statistics.
    Admin = "admin";
}

/// A caller whose access token passed every check of [`crate::validate`] and carries the
/// scope `S`.
#[derive(Debug)]
pub(crate) struct Caller<S> {
    pub claims: Arc<AccessTokenClaims>,
    scope: PhantomData<S>,
}

fn refused(
    state: &AppState,
    method: &Method,
    path: &str,
    claims: Option<&AccessTokenClaims>,
    why: &str,
) {
    state.stats.refused.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(
        sub = claims.map_or("-", |c| c.sub.as_str()),
        client = claims.map_or("-", |c| c.client_id.as_str()),
        "{}",
        refusal_line(method, path, why)
    );
}

/// The log line of a refused request. The path and the reason may hold what the caller
/// sent (a token's JOSE header names its own `alg` and `typ`), so both are written on one
/// line (`OneLine`): a newline there cannot forge a line of the log.
fn refusal_line(method: &Method, path: &str, why: &str) -> String {
    format!("{method} {}: refused: {}", OneLine(path), OneLine(why))
}

impl<S: Scope> FromRequestParts<AppState> for Caller<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = admit(state, parts, &state.api, S::NAME).await?;
        Ok(Self {
            claims,
            scope: PhantomData,
        })
    }
}

const READY: Check = Check::new(
    "issuer_reached",
    "RFC 8414 §3",
    "This server has read the authorization server's metadata and keys.",
);
const SCOPE: Check = Check::new(
    "scope",
    "RFC 6750 §3.1",
    "The token carries the scope this endpoint needs.",
);

/// The bearer token of a request: never in the URL, one `Authorization: Bearer` header.
/// A refusal comes with the reason to log.
fn bearer_token(
    parts: &Parts,
    trace: &Recorder,
    resource: &Protected,
    scope: &'static str,
) -> Result<String, (ApiError, String)> {
    // OAuth 2.1 §5.2.2 (RFC 6750 §2.3 is gone): a token in the URL ends up in logs,
    // browser history and Referer headers, so it is refused, not read.
    if token_in_query(parts.uri.query()).is_some() {
        let why = "access tokens are not accepted in the URL (they leak through logs and Referer); send Authorization: Bearer <token>";
        trace.refused(&NOT_IN_URL, || why.to_owned());
        return Err((
            ApiError::BadRequest(why.to_owned()),
            "token in the query string".to_owned(),
        ));
    }
    trace.pass(&NOT_IN_URL);

    let malformed = |why: &str| {
        trace.refused(&BEARER, || why.to_owned());
        (ApiError::BadRequest(why.to_owned()), why.to_owned())
    };
    let values = parts.headers.get_all(header::AUTHORIZATION);
    let token = match header_token(values.iter().map(HeaderValue::as_bytes)) {
        Ok(token) => token.to_owned(),
        Err(HeaderRefusal::Missing) => {
            trace.refused(&BEARER, || {
                "No access token: the answer is 401 with a challenge that names the resource metadata (RFC 9728 §5.1).".to_owned()
            });
            return Err((
                ApiError::NoToken {
                    resource_metadata: Arc::clone(&resource.metadata_url),
                    scope,
                },
                "no access token".to_owned(),
            ));
        }
        Err(HeaderRefusal::Repeated) => {
            return Err(malformed("more than one Authorization header"));
        }
        Err(HeaderRefusal::NotBearer) => {
            return Err(malformed(
                "the Authorization header must be \"Bearer <token>\"",
            ));
        }
    };
    trace.pass(&BEARER);
    Ok(token)
}

/// The checks of every protected request, in order: the token's place (header only, once),
/// its form, [`crate::validate`] for `resource`, then `scope`. The claims of a token that
/// passed them all, or the refusal of the first that failed.
pub(crate) async fn admit(
    state: &AppState,
    parts: &Parts,
    resource: &Protected,
    scope: &'static str,
) -> Result<Arc<AccessTokenClaims>, ApiError> {
    let method = &parts.method;
    let path = parts.uri.path();
    let trace = Recorder::current();
    let refuse = |error: ApiError, why: &str| {
        refused(state, method, path, None, why);
        error
    };

    let token =
        bearer_token(parts, &trace, resource, scope).map_err(|(error, why)| refuse(error, &why))?;

    let Some(validator) = state.validator.get() else {
        let why = format!(
            "not ready: this resource server has not reached the authorization server at {} yet; try again in a few seconds",
            state.issuer
        );
        trace.refused(&READY, || why.clone());
        return Err(refuse(ApiError::Unavailable(why.clone()), &why));
    };
    match validator
        .validate(&trace, &token, &resource.identifier)
        .await
    {
        Ok(claims) => {
            // One write per user and process, not per request.
            if state.stats.first_sight(&claims.sub) {
                store::saw_user(&state.db, &claims.sub).await?;
            }
            // RFC 6750 §3.1: a valid token without the scope the endpoint needs is
            // `403 insufficient_scope`. This is the last check; passing it allows the
            // request.
            if !claims.scope.contains(scope) {
                let why = format!("missing scope {scope}");
                trace.refused(&SCOPE, || {
                    format!(
                        "insufficient_scope: this endpoint needs {scope}; the token has {}",
                        claims.scope
                    )
                });
                refused(state, method, path, Some(&claims), &why);
                return Err(ApiError::InsufficientScope {
                    scope,
                    resource_metadata: Arc::clone(&resource.metadata_url),
                });
            }
            trace.pass(carried(scope));
            state.stats.allowed.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                sub = claims.sub,
                client = claims.client_id,
                "{method} {path}: allowed (scope {scope})"
            );
            Ok(claims)
        }
        Err(refusal) => {
            let why = refusal.to_string();
            let error = match refusal {
                Refusal::Unavailable => ApiError::Unavailable(why.clone()),
                _ => ApiError::InvalidToken {
                    description: why.clone(),
                    reason: refusal.reason(),
                    resource_metadata: Arc::clone(&resource.metadata_url),
                },
            };
            Err(refuse(error, &why))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::refusal_line;

    #[test]
    fn a_newline_in_a_tokens_header_cannot_forge_a_line_of_the_log() {
        let line = refusal_line(
            &Method::GET,
            "/api/profile",
            "the token's algorithm \"EdDSA\n2026-12-01T09:00:00Z  INFO GET /api/admin/stats: allowed\" is not allowed",
        );
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(line.contains("EdDSA\\n2026"), "{line}");
    }
}
