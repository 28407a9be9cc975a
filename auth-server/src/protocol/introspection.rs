//! Introspection (RFC 7662 §2): a client allowed to ask (the resource server) learns
//! whether a token is active and what it carries; and the list of revoked access tokens
//! such a client follows to refuse them without asking about each one.

use serde::Serialize;
use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::{Audience, TokenType};
use utoipa::ToSchema;

use crate::error::Internal;
use crate::model::{Client, Grant};
use crate::protocol::client_auth;
use crate::protocol::revocation::{self, Found};
use crate::state::AppState;
use crate::store::{self, RefreshTokenRow};

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

/// RFC 7662 §2.2: `active`, and for an active token what it is. An inactive token gets
/// `{"active": false}` and nothing more, whatever the reason.
#[derive(Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct Introspection {
    pub active: bool,
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

/// Why a client may not introspect.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotPermitted {
    /// A public client proves nothing (`invalid_client`).
    NotAuthenticated,
    /// Authenticated, but not registered to introspect (`unauthorized_client`).
    NotRegistered,
}

impl NotPermitted {
    pub(crate) fn description(&self) -> &'static str {
        match self {
            Self::NotAuthenticated => "this endpoint requires client authentication",
            Self::NotRegistered => "this client may not introspect tokens",
        }
    }
}

/// In the words of the error sent back, for the decision trace.
impl std::fmt::Display for NotPermitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let code = match self {
            Self::NotAuthenticated => "invalid_client",
            Self::NotRegistered => "unauthorized_client",
        };
        write!(f, "{code}: {}", self.description())
    }
}

/// RFC 7662 §2.1: "the endpoint MUST also require some form of authorization"; a public
/// client proves nothing, and only clients registered for it (the resource server) may
/// ask.
fn check_may_introspect(client: &Client, method: client_auth::Method) -> Result<(), NotPermitted> {
    if method == client_auth::Method::None {
        Err(NotPermitted::NotAuthenticated)
    } else if client.can_introspect {
        Ok(())
    } else {
        Err(NotPermitted::NotRegistered)
    }
}

/// [`check_may_introspect`], into the trace.
pub(crate) fn may_introspect(
    trace: &Recorder,
    client: &Client,
    method: client_auth::Method,
) -> Result<(), NotPermitted> {
    trace.check(&MAY_INTROSPECT, check_may_introspect(client, method))
}

/// The introspection answer for `token` at `now`, into the trace.
pub(crate) async fn introspect(
    state: &AppState,
    trace: &Recorder,
    token: &str,
    now: i64,
) -> Result<Introspection, Internal> {
    let answer = match revocation::find(state, token).await? {
        Some(Found::Refresh(row)) => {
            let grant = store::find_grant(&state.db, &row.grant_id).await?;
            of_refresh_token(row, grant, &state.settings.issuer, now)
        }
        Some(Found::Access(claims, row)) => of_access_token(claims, row.is_live(now)),
        None => Introspection::default(),
    };
    if answer.active {
        trace.pass(&ACTIVE);
    } else {
        // As much as the answer says (RFC 7662 §2.2), no more.
        trace.refused(&ACTIVE, || {
            "Not active (revoked, expired, unknown or not issued here): the answer is {\"active\": false} and nothing more.".to_owned()
        });
    }
    Ok(answer)
}

/// A refresh token is active while it is neither rotated, revoked nor expired, and its
/// grant exists and is not revoked.
fn of_refresh_token(
    row: RefreshTokenRow,
    grant: Option<Grant>,
    issuer: &str,
    now: i64,
) -> Introspection {
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
            iss: Some(issuer.to_owned()),
            ..Introspection::default()
        },
        None => Introspection::default(),
    }
}

/// An access token is active while its record is (the stored expiry decides, not the
/// token's own `exp`), and then the answer is its claims.
fn of_access_token(claims: shared::AccessTokenClaims, live: bool) -> Introspection {
    if !live {
        return Introspection::default();
    }
    Introspection {
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
    }
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

/// Every access token revoked and not yet expired at `now`.
pub(crate) async fn revocations(db: &Db, now: i64) -> Result<Revocations, Internal> {
    let revoked = store::revoked_access_tokens(db, now)
        .await?
        .into_iter()
        .map(|(jti, exp)| RevokedToken { jti, exp })
        .collect();
    Ok(Revocations { revoked })
}

#[cfg(test)]
mod tests {
    use shared::ScopeSet;

    use super::{Introspection, NotPermitted, check_may_introspect, of_refresh_token};
    use crate::model::client::tests::operator_client;
    use crate::model::{Client, Grant};
    use crate::protocol::client_auth::Method;
    use crate::store::RefreshTokenRow;

    const NOW: i64 = 1_000_000;

    #[test]
    fn only_an_authenticated_client_registered_to_introspect_may() {
        let resource_server = Client {
            can_introspect: true,
            secret_hash: Some("5e884898".to_owned()),
            ..operator_client()
        };
        assert_eq!(
            check_may_introspect(&resource_server, Method::SecretBasic),
            Ok(())
        );
        assert_eq!(
            check_may_introspect(&resource_server, Method::None),
            Err(NotPermitted::NotAuthenticated)
        );
        assert_eq!(
            check_may_introspect(&operator_client(), Method::SecretPost),
            Err(NotPermitted::NotRegistered)
        );
    }

    #[test]
    fn a_refresh_token_is_active_until_rotated_revoked_expired_or_its_grant_revoked() {
        let row = || RefreshTokenRow {
            grant_id: "g1".to_owned(),
            client_id: "spa".to_owned(),
            scope: "read".to_owned(),
            expires_at: NOW + 60,
            rotated_at: None,
            revoked_at: None,
        };
        let grant = || {
            Some(Grant::new(
                "spa",
                Some("alice"),
                &ScopeSet::parse("read").expect("scopes"),
                "http://localhost:8082",
                None,
            ))
        };
        let active = of_refresh_token(row(), grant(), "http://localhost:8081", NOW);
        assert!(active.active);
        assert_eq!(active.sub.as_deref(), Some("alice"));
        let inactive = Introspection::default();
        for (row, grant) in [
            (
                RefreshTokenRow {
                    rotated_at: Some(NOW),
                    ..row()
                },
                grant(),
            ),
            (
                RefreshTokenRow {
                    revoked_at: Some(NOW),
                    ..row()
                },
                grant(),
            ),
            (
                RefreshTokenRow {
                    expires_at: NOW,
                    ..row()
                },
                grant(),
            ),
            (row(), None),
            (
                row(),
                grant().map(|g| Grant {
                    revoked_at: Some(NOW),
                    ..g
                }),
            ),
        ] {
            assert_eq!(
                of_refresh_token(row, grant, "http://localhost:8081", NOW),
                inactive
            );
        }
    }
}
