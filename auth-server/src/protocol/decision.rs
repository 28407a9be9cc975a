//! The user's answer to a pending authorization request, and the code that answers the
//! client (RFC 6749 §4.1.2, OIDC Core §3.1.2.3-§3.1.2.5). Nothing here knows whether the
//! answer travels as a redirect (`routes/consent.rs`, `routes/authorize.rs` with
//! `prompt=none`) or another way (a device approval would take the same decision).
//!
//! In order: the login is fresh enough for the request ([`check_fresh_login`]); the
//! user's consent is remembered ([`remembered`]) or the user decides ([`check_decision`]);
//! the user may grant what was asked ([`grantable`]); a single-use code is issued
//! ([`issue_code`]).

use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::{AuthorizationCode, AuthorizationErrorCode, CodeChallenge, RedirectUri, ScopeSet};

use crate::error::Internal;
use crate::model::{Client, Grant};
use crate::protocol::authorization_request::Refusal;
use crate::store::{self, CodeRecord, PendingRequest, User};

pub(crate) const FRESH_LOGIN: Check = Check::new(
    "fresh_login",
    "OIDC Core §3.1.2.1",
    "If the client asked for a new login (prompt=login, max_age), the user has logged in since the request was made.",
);
pub(crate) const REMEMBERED: Check = Check::new(
    "consent_remembered",
    "RFC 6749 §4.1.1",
    "The user approved these scopes for this client before.",
);
pub(crate) const DECISION: Check = Check::new(
    "decision",
    "RFC 6749 §4.1.2.1",
    "The user approved the request.",
);
pub(crate) const GRANTABLE: Check = Check::new(
    "scope_grantable",
    "RFC 6749 §3.3",
    "The user may grant at least one of the scopes asked for.",
);
const CODE_ISSUED: Check = Check::new(
    "code_issued",
    "RFC 6749 §4.1.2",
    "A single-use code, bound to this client, redirect URI and PKCE challenge, goes back with state and iss.",
);

/// OIDC Core §3.1.2.1: with `prompt=login` or a `max_age` the login was older than, the
/// server "MUST attempt to actively re-authenticate". The login page was shown, and only a
/// login made since (which clears the flag, `store::move_requests`) lets the request go on.
pub(crate) fn check_fresh_login(request: &PendingRequest) -> Result<(), &'static str> {
    if request.login_required {
        Err(
            "The client asked for a new login, and the user has not logged in since the request was made.",
        )
    } else {
        Ok(())
    }
}

/// The scopes to grant without asking, if the user's consent to this client is remembered
/// and covers the whole request: not with `prompt=consent`, only for a client whose
/// identity can be assured (`Client::consent_may_be_remembered`), and only while the user
/// may still grant every scope asked for.
pub(crate) async fn remembered(
    db: &Db,
    client: &Client,
    user: &User,
    request: &PendingRequest,
) -> Result<Option<ScopeSet>, Internal> {
    if request.prompt_consent || !client.consent_may_be_remembered() {
        return Ok(None);
    }
    let approved = store::remembered_scope(db, &user.id, &request.client_id).await?;
    Ok(covered(
        &request.scopes()?,
        &approved,
        &user.allowed_scopes()?,
    ))
}

/// The request's scopes, if an earlier approval and what the user may grant both cover
/// all of them.
fn covered(requested: &ScopeSet, approved: &ScopeSet, allowed: &ScopeSet) -> Option<ScopeSet> {
    let grantable = allowed.with_offline_access();
    (requested.is_subset(approved) && requested.is_subset(&grantable)).then(|| requested.clone())
}

/// Remembers the user's approval of `granted` for `client`, if its consent may be
/// remembered (`Client::consent_may_be_remembered`, RFC 8252 §8.6).
pub(crate) async fn remember(
    db: &Db,
    client: &Client,
    user: &User,
    granted: &ScopeSet,
) -> Result<(), Internal> {
    if client.consent_may_be_remembered() {
        store::remember_consent(db, &user.id, client.client_id.as_str(), granted).await?;
    }
    Ok(())
}

/// RFC 6749 §4.1.2.1: the user approved (`approve`) or denied (`access_denied`); a form
/// with neither is `invalid_request`.
pub(crate) fn check_decision(decision: Option<&str>) -> Result<(), Refusal> {
    match decision {
        Some("approve") => Ok(()),
        Some("deny") => Err(Refusal::new(
            AuthorizationErrorCode::AccessDenied,
            "the user denied the request",
        )),
        _ => Err(Refusal::new(
            AuthorizationErrorCode::InvalidRequest,
            "the consent form had no decision",
        )),
    }
}

/// RFC 6749 §3.3, §5.1: the token carries what was asked for *and* the user may grant (the
/// token response's `scope` then tells the client what it really got); a user who may
/// grant none of it cannot approve (`access_denied`).
pub(crate) fn grantable(requested: &ScopeSet, allowed: &ScopeSet) -> Result<ScopeSet, Refusal> {
    let granted = requested.intersection(&allowed.with_offline_access());
    if granted.is_empty() {
        Err(Refusal::new(
            AuthorizationErrorCode::AccessDenied,
            "this account may not grant any of the requested scopes",
        ))
    } else {
        Ok(granted)
    }
}

/// The answer to an approved request (RFC 6749 §4.1.2, RFC 9207): the code, for the
/// request's redirect URI, with its `state` and the issuer.
#[derive(Debug)]
pub(crate) struct IssuedCode {
    pub redirect_uri: RedirectUri,
    pub code: AuthorizationCode,
    pub state: Option<String>,
    pub issuer: String,
}

/// What a code is issued with.
#[derive(Debug)]
pub(crate) struct Approval<'a> {
    pub request: &'a PendingRequest,
    pub user: &'a User,
    pub granted: &'a ScopeSet,
    /// When the user logged in (the ID token's `auth_time`).
    pub auth_time: i64,
}

/// Answers the approved request with a code: a grant of `granted` from the user, and a
/// code bound to the request's client, redirect URI and PKCE challenge, valid `code_ttl`
/// seconds from `now` (RFC 6749 §4.1.2: "MUST expire shortly after it is issued").
pub(crate) async fn issue_code(
    db: &Db,
    trace: &Recorder,
    approval: &Approval<'_>,
    (issuer, code_ttl): (&str, i64),
    now: i64,
) -> Result<IssuedCode, Internal> {
    let Approval {
        request,
        user,
        granted,
        auth_time,
    } = *approval;
    let grant = Grant::new(
        &request.client_id,
        Some(&user.id),
        granted,
        &request.resource,
        Some(auth_time),
    );
    store::insert_grant(db, &grant).await?;
    let code = AuthorizationCode::generate();
    store::insert_code(
        db,
        &shared::digest::sha256_hex(code.secret().as_bytes()),
        &CodeRecord {
            grant_id: grant.id,
            client_id: request.client_id.clone(),
            user_id: user.id.clone(),
            redirect_uri: RedirectUri::new(&request.redirect_uri),
            scope: granted.clone(),
            code_challenge: CodeChallenge::parse(&request.code_challenge).map_err(Internal::new)?,
            nonce: request.nonce.clone(),
            expires_at: now + code_ttl,
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
            "Code {} (single use, {code_ttl} s), bound to this client, its redirect URI and the PKCE challenge, goes back with state and iss.",
            server_kit::trace::mask(code.secret()),
        )
    });
    Ok(IssuedCode {
        redirect_uri: RedirectUri::new(&request.redirect_uri),
        code,
        state: request.state.clone(),
        issuer: issuer.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use shared::AuthorizationErrorCode::{AccessDenied, InvalidRequest};
    use shared::ScopeSet;

    use super::{check_decision, check_fresh_login, covered, grantable};
    use crate::store::PendingRequest;

    fn scopes(value: &str) -> ScopeSet {
        ScopeSet::parse(value).expect("scopes")
    }

    fn pending(login_required: bool) -> PendingRequest {
        PendingRequest {
            id: "r1".to_owned(),
            client_id: "spa".to_owned(),
            redirect_uri: "http://localhost:8080/callback".to_owned(),
            scope: "openid read".to_owned(),
            state: None,
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned(),
            nonce: None,
            resource: "http://localhost:8082".to_owned(),
            prompt_consent: false,
            login_required,
        }
    }

    #[test]
    fn consent_waits_for_a_login_made_after_a_request_that_asked_for_one() {
        assert_eq!(check_fresh_login(&pending(false)), Ok(()));
        assert!(check_fresh_login(&pending(true)).is_err());
    }

    #[test]
    fn a_remembered_approval_stands_in_only_if_it_and_the_users_rights_cover_the_whole_request() {
        let allowed = scopes("openid read write");
        assert_eq!(
            covered(
                &scopes("openid read"),
                &scopes("openid read write"),
                &allowed
            ),
            Some(scopes("openid read"))
        );
        assert_eq!(
            covered(
                &scopes("openid read offline_access"),
                &scopes("openid read offline_access"),
                &allowed
            ),
            Some(scopes("openid read offline_access")),
            "offline_access is always grantable"
        );
        assert_eq!(
            covered(&scopes("openid write"), &scopes("openid read"), &allowed),
            None
        );
        assert_eq!(
            covered(&scopes("read admin"), &scopes("read admin"), &allowed),
            None,
            "approved once, but the user may no longer grant admin"
        );
    }

    #[test]
    fn the_user_approves_or_denies_and_a_form_without_a_decision_is_invalid() {
        assert_eq!(check_decision(Some("approve")), Ok(()));
        assert_eq!(
            check_decision(Some("deny")).map_err(|r| r.code),
            Err(AccessDenied)
        );
        for other in [None, Some(""), Some("yes")] {
            assert_eq!(
                check_decision(other).map_err(|r| r.code),
                Err(InvalidRequest),
                "{other:?}"
            );
        }
    }

    #[test]
    fn the_grant_is_what_was_asked_and_the_user_may_grant_and_nothing_grantable_is_access_denied() {
        assert_eq!(
            grantable(
                &scopes("openid read admin offline_access"),
                &scopes("openid read")
            ),
            Ok(scopes("openid read offline_access"))
        );
        assert_eq!(
            grantable(&scopes("admin"), &scopes("openid read")).map_err(|r| r.code),
            Err(AccessDenied)
        );
    }
}
