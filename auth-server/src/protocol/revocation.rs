//! Revocation (RFC 7009 §2): a client ends a token it holds. The answer never tells
//! whether a token existed (§2.2: 200 "if the client submitted an invalid token"), so the
//! only refusal is a token that belongs to another client.

use server_kit::trace::{Check, Recorder};
use shared::TokenErrorCode;

use crate::error::{ApiError, Internal};
use crate::model::Client;
use crate::protocol::tokens;
use crate::state::AppState;
use crate::store::{self, AccessTokenRow, RefreshTokenRow};

const ISSUED_TO: Check = Check::new(
    "token_issued_to_client",
    "RFC 7009 §2.1",
    "The token was issued to the client asking to revoke it.",
);
const REVOKED: Check = Check::new("revoked", "RFC 7009 §2.2", "The token no longer works.");

/// A token this server issued, found by its value.
#[derive(Debug)]
pub(crate) enum Found {
    Refresh(RefreshTokenRow),
    Access(shared::AccessTokenClaims, AccessTokenRow),
}

impl Found {
    /// The client it was issued to.
    fn client_id(&self) -> &str {
        match self {
            Self::Refresh(row) => &row.client_id,
            Self::Access(_, row) => &row.client_id,
        }
    }
}

/// Looks the token up as a refresh token (by hash) and as an access token (by verifying
/// our own signature, then the record of its `jti`). The hint only saves a lookup
/// (RFC 7009 §2.1), so both are tried whatever it says.
pub(crate) async fn find(state: &AppState, token: &str) -> Result<Option<Found>, Internal> {
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

/// RFC 7009 §2.1: the server "verifies whether the token was issued to the client making
/// the revocation request. If this validation fails, the request is refused".
fn check_issued_to(found: &Found, client: &Client) -> Result<(), ApiError> {
    if found.client_id() == client.client_id.as_str() {
        Ok(())
    } else {
        Err(ApiError::new(
            TokenErrorCode::UnauthorizedClient,
            "the token was issued to another client",
        ))
    }
}

/// Revokes `token` for `client`, into the trace; `hint` is the client's
/// `token_type_hint`, for the log.
pub(crate) async fn revoke(
    state: &AppState,
    trace: &Recorder,
    client: &Client,
    token: &str,
    hint: &str,
) -> Result<(), ApiError> {
    let found = find(state, token).await?;
    match &found {
        Some(found) => {
            trace.check(&ISSUED_TO, check_issued_to(found, client))?;
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use shared::TokenErrorCode;

    use super::{Found, check_issued_to};
    use crate::error::ApiError;
    use crate::model::Client;
    use crate::model::client::tests::operator_client;
    use crate::store::RefreshTokenRow;

    #[test]
    fn a_client_may_revoke_only_a_token_issued_to_it() {
        let found = Found::Refresh(RefreshTokenRow {
            grant_id: "g1".to_owned(),
            client_id: "spa".to_owned(),
            scope: "read".to_owned(),
            expires_at: 0,
            rotated_at: None,
            revoked_at: None,
        });
        assert!(check_issued_to(&found, &operator_client()).is_ok());
        let other = Client {
            client_id: shared::ClientId::new("other"),
            ..operator_client()
        };
        let refused = check_issued_to(&found, &other).expect_err("another client's");
        assert!(
            matches!(&refused, ApiError::Protocol(body) if body.error == TokenErrorCode::UnauthorizedClient),
            "{refused}"
        );
    }
}
