//! What every grant shares: the resource check of RFC 8707 §2.2, and what happens when a
//! spent code or refresh token comes back (the whole grant is revoked). A token's binding
//! to a key (DPoP, RFC 9449) belongs here too, once for every grant.

use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::{TokenErrorCode, TokenRequestForm};

use crate::error::ApiError;
use crate::model::{Finding, Grant};
use crate::store;

const SAME_RESOURCE: Check = Check::new(
    "resource_same",
    "RFC 8707 §2.2",
    "The resource asked for is the one this grant was approved for.",
);

/// RFC 8707 §2.2: a `resource` at the token endpoint must be one the grant covers; this
/// server issues each grant's tokens for one resource, chosen at `/authorize`.
pub(crate) fn check_same_resource(
    trace: &Recorder,
    grant: &Grant,
    form: &TokenRequestForm,
) -> Result<(), ApiError> {
    match form.resource.as_deref() {
        None => {
            trace.not_applicable(
                &SAME_RESOURCE,
                "no resource parameter: the grant's resource",
            );
            Ok(())
        }
        Some(resource) => {
            let same = if resource == grant.resource {
                Ok(())
            } else {
                Err(ApiError::new(
                    TokenErrorCode::InvalidTarget,
                    format!("this grant is for the resource {}", grant.resource),
                ))
            };
            trace.check(&SAME_RESOURCE, same)
        }
    }
}

/// A code or refresh token that was already spent, presented again.
#[derive(Debug)]
pub(crate) struct Replay<'a> {
    pub grant_id: &'a str,
    pub client_id: &'a str,
    /// What it was: [`Finding::CodeReplayed`] or [`Finding::RefreshTokenReplayed`].
    pub finding: Finding,
}

/// A spent code or refresh token came back, so either the client or an attacker holds a
/// stolen copy, and the server cannot tell which: the grant is revoked with every token
/// issued from it, the client's report records it, and the request is `invalid_grant`.
/// OAuth 2.1 §4.1.3 (a code "used more than once": the server "SHOULD revoke (when
/// possible) all tokens previously issued based on that authorization code"), §4.3.1 and
/// RFC 9700 §4.14.2 (a rotated refresh token used again).
pub(crate) async fn revoke_on_replay(db: &Db, replay: &Replay<'_>) -> ApiError {
    if let Err(error) = store::revoke_grant(db, replay.grant_id).await {
        return error.into();
    }
    if let Err(error) = store::record_finding(db, replay.client_id, replay.finding, "").await {
        return error.into();
    }
    let description = if replay.finding == Finding::CodeReplayed {
        tracing::warn!(
            client = replay.client_id,
            "token: authorization code used twice; revoked every token issued from it"
        );
        "authorization code already used; the tokens issued from it are now revoked"
    } else {
        tracing::warn!(
            client = replay.client_id,
            "token: a rotated refresh token was used again; revoked its whole family"
        );
        "refresh token already used: every token of this grant is now revoked"
    };
    ApiError::new(TokenErrorCode::InvalidGrant, description)
}
