//! UserInfo (OpenID Connect Core §5.3): claims about the user, by scope, for a bearer
//! access token this server issued and meant for this endpoint. The checks in order; a
//! refusal is a bearer-token error (RFC 6750 §3.1) that `routes/userinfo.rs` answers.

use serde::Serialize;
use server_kit::trace::bearer::{HEADER as BEARER, NOT_IN_URL};
use server_kit::trace::{Check, Recorder};
use shared::BearerErrorCode;
use shared::bearer::{header_token, token_in_query};
use utoipa::ToSchema;

use crate::error::Internal;
use crate::model::Finding;
use crate::protocol::tokens;
use crate::state::AppState;
use crate::store::{self, User};

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

/// Claims about the user, by scope (OpenID Connect Core §5.4): `sub` always, `name` and
/// `preferred_username` with `profile`, `email` and `email_verified` with `email`.
#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
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

/// A bearer-token error (RFC 6750 §3.1).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BearerRefusal {
    pub code: BearerErrorCode,
    pub description: &'static str,
    /// The scope that would do, for `insufficient_scope`.
    pub scope: Option<&'static str>,
    /// The request carried no bearer token where one belongs (a `401`, whatever the code).
    pub no_token: bool,
}

impl BearerRefusal {
    fn new(code: BearerErrorCode, description: &'static str) -> Self {
        Self {
            code,
            description,
            scope: None,
            no_token: false,
        }
    }

    fn invalid_token() -> Self {
        Self::new(
            BearerErrorCode::InvalidToken,
            "the access token is invalid, expired or revoked",
        )
    }
}

/// In the words of the error sent back, for the decision trace.
impl std::fmt::Display for BearerRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

/// The request's answer: its query string and its `Authorization` header values in, the
/// claims or the refusal out, every check into the trace.
pub(crate) async fn userinfo<'a>(
    state: &AppState,
    trace: &Recorder,
    query: Option<&str>,
    authorization: impl IntoIterator<Item = &'a [u8]>,
    now: i64,
) -> Result<Result<UserInfo, BearerRefusal>, Internal> {
    // OAuth 2.1 §5.2.2 (RFC 6750 §2.3 is gone): a token in the URL ends up in logs, history
    // and Referer headers, so it is refused, not read; if it is a live token of this
    // server, the client it was issued to gets a finding on its report.
    let in_url = token_in_query(query);
    if let Some(token) = &in_url
        && let Some(claims) = tokens::verify_access_token(state, token).await?
    {
        let finding = Finding::TokenInQuery;
        store::record_finding(&state.db, &claims.client_id, finding, "/userinfo").await?;
    }
    let not_in_url = match in_url {
        Some(_) => Err(BearerRefusal::new(
            BearerErrorCode::InvalidRequest,
            "access tokens are not accepted in the URL (they leak through logs and Referer); send Authorization: Bearer <token>",
        )),
        None => Ok(()),
    };
    if let Err(refusal) = trace.check(&NOT_IN_URL, not_in_url) {
        return Ok(Err(refusal));
    }
    let token = header_token(authorization).map_err(|_| BearerRefusal {
        no_token: true,
        ..BearerRefusal::new(
            BearerErrorCode::InvalidRequest,
            "send Authorization: Bearer <access token>",
        )
    });
    let token = match trace.check(&BEARER, token) {
        Ok(token) => token,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let verified = tokens::verify_access_token(state, token).await?;
    let claims = match trace.check(
        &SIGNATURE,
        verified.ok_or_else(BearerRefusal::invalid_token),
    ) {
        Ok(claims) => claims,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // What the server stored decides, not what the token says: revoked, or past the expiry
    // recorded when it was issued.
    let live = store::find_access_token(&state.db, &claims.jti)
        .await?
        .is_some_and(|row| row.is_live(now));
    let audience = state.settings.userinfo_audience();
    if let Err(refusal) = check_claims(trace, &claims, live, &audience) {
        return Ok(Err(refusal));
    }
    let user = store::find_user(&state.db, &claims.sub).await?;
    Ok(trace
        .check(&USER, user.ok_or_else(BearerRefusal::invalid_token))
        .map(|user| claims_of(&claims, user)))
}

/// The checks after the signature: live, `openid`, audience.
fn check_claims(
    trace: &Recorder,
    claims: &shared::AccessTokenClaims,
    live: bool,
    audience: &str,
) -> Result<(), BearerRefusal> {
    let live = if live {
        Ok(())
    } else {
        Err(BearerRefusal::invalid_token())
    };
    trace.check(&LIVE, live)?;
    trace.check(&OPENID, check_openid(claims))?;
    trace.check(&AUDIENCE, check_audience(claims, audience))
}

/// OIDC Core §5.3: the UserInfo endpoint serves tokens obtained with the openid scope.
fn check_openid(claims: &shared::AccessTokenClaims) -> Result<(), BearerRefusal> {
    if claims.scope.contains("openid") {
        Ok(())
    } else {
        Err(BearerRefusal {
            scope: Some("openid"),
            ..BearerRefusal::new(
                BearerErrorCode::InsufficientScope,
                "this endpoint needs the openid scope",
            )
        })
    }
}

/// RFC 9068 §4 / RFC 8707: only a token issued for this endpoint (with `openid`) is
/// accepted; a token meant for a resource server, replayed here, is not.
fn check_audience(claims: &shared::AccessTokenClaims, audience: &str) -> Result<(), BearerRefusal> {
    if claims.aud.contains(audience) {
        Ok(())
    } else {
        Err(BearerRefusal::new(
            BearerErrorCode::InvalidToken,
            "the access token is not meant for the UserInfo endpoint (aud)",
        ))
    }
}

/// OIDC Core §5.4: claims by scope.
fn claims_of(claims: &shared::AccessTokenClaims, user: User) -> UserInfo {
    let profile = claims.scope.contains("profile");
    let email = claims.scope.contains("email");
    UserInfo {
        sub: user.id,
        name: profile.then_some(user.name),
        preferred_username: profile.then_some(user.username),
        email: email.then_some(user.email),
        email_verified: email.then_some(user.email_verified),
    }
}

#[cfg(test)]
mod tests {
    use shared::{AccessTokenClaims, Audience, BearerErrorCode, ScopeSet};

    use super::{check_audience, check_openid, claims_of};
    use crate::store::User;

    fn claims(scope: &str, aud: &[&str]) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "http://localhost:8081".to_owned(),
            sub: "alice".to_owned(),
            aud: Audience::Many(aud.iter().map(|a| (*a).to_owned()).collect()),
            exp: 0,
            iat: 0,
            jti: "j1".to_owned(),
            client_id: "spa".to_owned(),
            scope: ScopeSet::parse(scope).expect("scopes"),
            auth_time: None,
            preferred_username: None,
        }
    }

    const USERINFO: &str = "http://localhost:8081/userinfo";

    #[test]
    fn userinfo_serves_only_tokens_with_the_openid_scope() {
        assert!(check_openid(&claims("openid read", &[USERINFO])).is_ok());
        let refused = check_openid(&claims("read", &[USERINFO])).expect_err("no openid");
        assert_eq!(
            (refused.code, refused.scope),
            (BearerErrorCode::InsufficientScope, Some("openid"))
        );
    }

    #[test]
    fn userinfo_serves_only_tokens_issued_for_it() {
        let both = claims("openid", &["http://localhost:8082", USERINFO]);
        assert!(check_audience(&both, USERINFO).is_ok());
        let resource_only = claims("openid", &["http://localhost:8082"]);
        assert_eq!(
            check_audience(&resource_only, USERINFO).map_err(|r| r.code),
            Err(BearerErrorCode::InvalidToken)
        );
    }

    #[test]
    fn the_claims_follow_the_scopes_profile_and_email() {
        let user = || User {
            id: "alice".to_owned(),
            username: "alice".to_owned(),
            password_hash: String::new(),
            allowed_scopes: String::new(),
            name: "Alice".to_owned(),
            email: "alice@example.com".to_owned(),
            email_verified: true,
        };
        let bare = claims_of(&claims("openid", &[USERINFO]), user());
        assert_eq!((bare.name, bare.email), (None, None));
        let full = claims_of(&claims("openid profile email", &[USERINFO]), user());
        assert_eq!(full.name.as_deref(), Some("Alice"));
        assert_eq!(full.email_verified, Some(true));
    }
}
