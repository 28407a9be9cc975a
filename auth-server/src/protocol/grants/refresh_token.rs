//! `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3): refresh tokens rotate on every
//! use, and a refresh token used twice revokes its whole family.

use server_kit::trace::{Check, Recorder};
use shared::{ScopeSet, TokenErrorCode, TokenRequestForm, TokenResponse};

use crate::error::ApiError;
use crate::model::{Client, Finding, Grant};
use crate::protocol::grants::common::{Replay, check_same_resource, revoke_on_replay};
use crate::protocol::tokens::{self, Issue};
use crate::state::AppState;
use crate::store::{self, RefreshTokenRow, Spending};

/// The checks of a refresh, in order. Every failure but a malformed request is `invalid_grant`.
pub(crate) async fn refresh(
    state: &AppState,
    trace: &Recorder,
    client: &Client,
    form: &TokenRequestForm,
    now: i64,
) -> Result<TokenResponse, ApiError> {
    let invalid_grant =
        |description: &str| ApiError::new(TokenErrorCode::InvalidGrant, description);
    let (token_hash, row) = trace.check(&KNOWN, find_refresh_token(state, form).await)?;
    trace.check(
        &ISSUED_TO,
        check_issued_to(&row, client).map_err(invalid_grant),
    )?;
    let not_reused = match check_not_reused(&row) {
        Ok(()) => Ok(()),
        Err(replay) => Err(revoke_on_replay(&state.db, &replay).await),
    };
    trace.check(&NOT_REUSED, not_reused)?;
    let grant = store::find_grant(&state.db, &row.grant_id).await?;
    let user = match &grant {
        Some(grant) => {
            store::find_user(&state.db, grant.user_id.as_deref().unwrap_or_default()).await?
        }
        None => None,
    };
    let (grant, user) = trace.check(
        &GRANT_EXISTS,
        grant.zip(user).ok_or_else(|| {
            invalid_grant("the grant of this refresh token, or its user, no longer exists")
        }),
    )?;
    check_same_resource(trace, &grant, form)?;
    trace.check(
        &NOT_REVOKED,
        check_not_revoked(&row, &grant).map_err(invalid_grant),
    )?;
    trace.check(
        &NOT_EXPIRED,
        check_not_expired(&row, now).map_err(invalid_grant),
    )?;
    let scope = trace.check(&SCOPE, narrowed_scope(&row, form.scope.as_deref()))?;

    // Rotation, atomically: the old token is marked used in the transaction that stores the
    // new tokens, so of two refreshes racing with the same token exactly one gets them. The
    // loser cannot be told apart from an attacker replaying a stolen token, so it is
    // treated as one: `invalid_grant`, and the family (the winner's new tokens too) is
    // revoked. A client must not refresh twice in parallel.
    let issued = tokens::issue(
        state,
        &Issue {
            grant: &grant,
            grant_stored: true,
            username: Some(&user.username),
            scope: &scope,
            refresh_scope: Some(&row.scopes()?),
            refresh_not_after: Some(row.expires_at),
        },
        Spending::RefreshToken(&token_hash),
    )
    .await?;
    let rotated = match issued {
        Some(response) => Ok(response),
        None => Err(revoke_on_replay(&state.db, &replay_of(&row)).await),
    };
    let response = trace.check(&ROTATED, rotated)?;
    tracing::info!(client = row.client_id, scope = %scope, "token: refresh token rotated; the old one no longer works");
    Ok(response)
}

const KNOWN: Check = Check::new(
    "refresh_token_known",
    "RFC 6749 §6",
    "The refresh token is one this server issued (it keeps only its hash).",
);
const ISSUED_TO: Check = Check::new(
    "refresh_token_issued_to_client",
    "RFC 6749 §6",
    "The refresh token was issued to the client that presents it.",
);
const NOT_REUSED: Check = Check::new(
    "refresh_token_not_reused",
    "OAuth 2.1 §4.3.1",
    "The refresh token has not been rotated away already (a reused one would revoke its whole family).",
);
const GRANT_EXISTS: Check = Check::new(
    "grant_exists",
    "RFC 6749 §6",
    "The user's approval behind the token, and the user, still exist.",
);
const NOT_REVOKED: Check = Check::new(
    "refresh_token_not_revoked",
    "RFC 7009 §2.2",
    "Neither the token nor its grant has been revoked.",
);
const NOT_EXPIRED: Check = Check::new(
    "refresh_token_not_expired",
    "RFC 6749 §6",
    "The refresh token is younger than its lifetime.",
);
const SCOPE: Check = Check::new(
    "scope_not_widened",
    "RFC 6749 §6",
    "The scope asked for is the granted one or narrower.",
);
const ROTATED: Check = Check::new(
    "refresh_token_rotated",
    "OAuth 2.1 §4.3.1",
    "The old refresh token was marked used in the same transaction that stored the new one.",
);

/// The refresh token's hash and row, if the form names one this server issued.
async fn find_refresh_token(
    state: &AppState,
    form: &TokenRequestForm,
) -> Result<(String, RefreshTokenRow), ApiError> {
    let token = form
        .refresh_token
        .as_deref()
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidRequest, "refresh_token is missing"))?;
    let token_hash = shared::digest::sha256_hex(token.as_bytes());
    let row = store::find_refresh_token(&state.db, &token_hash)
        .await?
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidGrant, "unknown refresh token"))?;
    Ok((token_hash, row))
}

/// RFC 6749 §6: the refresh token is bound to the client it was issued to.
fn check_issued_to(row: &RefreshTokenRow, client: &Client) -> Result<(), &'static str> {
    if row.client_id == client.client_id.as_str() {
        Ok(())
    } else {
        Err("the refresh token was issued to another client")
    }
}

/// OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: a refresh token that was already rotated is being
/// used again, so either the client or an attacker holds a stolen copy. The server cannot
/// tell which, so the whole family dies (`common::revoke_on_replay`): every refresh token
/// and access token of the grant.
fn check_not_reused(row: &RefreshTokenRow) -> Result<(), Replay<'_>> {
    match row.rotated_at {
        Some(_) => Err(replay_of(row)),
        None => Ok(()),
    }
}

fn replay_of(row: &RefreshTokenRow) -> Replay<'_> {
    Replay {
        grant_id: &row.grant_id,
        client_id: &row.client_id,
        finding: Finding::RefreshTokenReplayed,
    }
}

/// RFC 7009 §2.2: a revoked refresh token, or one whose grant was revoked, is refused.
fn check_not_revoked(row: &RefreshTokenRow, grant: &Grant) -> Result<(), &'static str> {
    if row.revoked_at.is_some() || grant.revoked_at.is_some() {
        Err("the refresh token has been revoked")
    } else {
        Ok(())
    }
}

/// RFC 6749 §6 (and §10.4): a refresh token lives as long as the server said it would.
fn check_not_expired(row: &RefreshTokenRow, now: i64) -> Result<(), &'static str> {
    if now < row.expires_at {
        Ok(())
    } else {
        Err("the refresh token has expired")
    }
}

/// RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted by
/// the resource owner, and if omitted is treated as equal to the scope originally granted".
fn narrowed_scope(row: &RefreshTokenRow, requested: Option<&str>) -> Result<ScopeSet, ApiError> {
    let granted = row.scopes()?;
    let Some(requested) = requested else {
        return Ok(granted);
    };
    let requested = ScopeSet::parse(requested)
        .map_err(|e| ApiError::new(TokenErrorCode::InvalidScope, e.to_string()))?;
    if requested.is_subset(&granted) {
        Ok(requested)
    } else {
        Err(ApiError::new(
            TokenErrorCode::InvalidScope,
            format!("a refresh may narrow the scope, never widen it; granted: {granted}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use shared::{ScopeSet, TokenErrorCode};

    use super::{
        check_issued_to, check_not_expired, check_not_reused, check_not_revoked, narrowed_scope,
    };
    use crate::error::ApiError;
    use crate::model::client::tests::operator_client;
    use crate::model::{Client, Finding, Grant};
    use crate::store::RefreshTokenRow;

    const NOW: i64 = 1_000_000;

    fn row() -> RefreshTokenRow {
        RefreshTokenRow {
            grant_id: "g1".to_owned(),
            client_id: "spa".to_owned(),
            scope: "openid read offline_access".to_owned(),
            expires_at: NOW + 60,
            rotated_at: None,
            revoked_at: None,
        }
    }

    fn grant() -> Grant {
        Grant::new(
            "spa",
            Some("alice"),
            &ScopeSet::parse("openid read offline_access").expect("scopes"),
            "http://localhost:8082",
            Some(NOW - 100),
        )
    }

    #[test]
    fn a_refresh_token_is_used_only_by_the_client_it_was_issued_to() {
        assert_eq!(check_issued_to(&row(), &operator_client()), Ok(()));
        let other = Client {
            client_id: shared::ClientId::new("other"),
            ..operator_client()
        };
        assert!(check_issued_to(&row(), &other).is_err());
    }

    #[test]
    fn a_rotated_refresh_token_used_again_is_a_replay_of_its_grant() {
        assert!(check_not_reused(&row()).is_ok());
        let rotated = RefreshTokenRow {
            rotated_at: Some(NOW - 1),
            ..row()
        };
        let replay = check_not_reused(&rotated).expect_err("a replay");
        assert_eq!(
            (replay.grant_id, replay.finding),
            ("g1", Finding::RefreshTokenReplayed)
        );
    }

    #[test]
    fn a_refresh_token_is_refused_once_it_or_its_grant_is_revoked() {
        assert_eq!(check_not_revoked(&row(), &grant()), Ok(()));
        let revoked = RefreshTokenRow {
            revoked_at: Some(NOW),
            ..row()
        };
        assert!(check_not_revoked(&revoked, &grant()).is_err());
        let revoked_grant = Grant {
            revoked_at: Some(NOW),
            ..grant()
        };
        assert!(check_not_revoked(&row(), &revoked_grant).is_err());
    }

    #[test]
    fn a_refresh_token_expires_at_the_end_of_its_lifetime() {
        let row = row();
        assert_eq!(check_not_expired(&row, row.expires_at - 1), Ok(()));
        assert!(check_not_expired(&row, row.expires_at).is_err());
    }

    #[test]
    fn a_refresh_may_narrow_the_scope_and_never_widen_it() {
        let granted = ScopeSet::parse("openid read offline_access").expect("scopes");
        assert_eq!(narrowed_scope(&row(), None).expect("same"), granted);
        assert_eq!(
            narrowed_scope(&row(), Some("read")).expect("narrower"),
            ScopeSet::parse("read").expect("scopes")
        );
        let widened = narrowed_scope(&row(), Some("read write")).expect_err("wider");
        assert!(
            matches!(&widened, ApiError::Protocol(body) if body.error == TokenErrorCode::InvalidScope),
            "{widened}"
        );
    }
}
