//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, OAuth 2.1 §4.1.3): a
//! code and its PKCE verifier for tokens.

use server_kit::trace::{Check, Recorder};
use shared::{CodeVerifier, GrantType, TokenErrorCode, TokenRequestForm};

use crate::error::ApiError;
use crate::model::Client;
use crate::model::Finding;
use crate::protocol::grants::common::{Replay, check_same_resource, revoke_on_replay};
use crate::protocol::tokens::{self, Issue};
use crate::state::AppState;
use crate::store::{self, CodeRecord, Redeemable, Spending};

/// The checks of RFC 6749 §4.1.3 and RFC 7636 §4.6, in order. Every failure is
/// `invalid_grant` ("invalid, expired, revoked, does not match the redirection URI used in
/// the authorization request, or was issued to another client").
pub(crate) async fn exchange_code(
    state: &AppState,
    trace: &Recorder,
    client: &Client,
    form: &TokenRequestForm,
    now: i64,
) -> Result<shared::TokenResponse, ApiError> {
    let invalid_grant =
        |description: &str| ApiError::new(TokenErrorCode::InvalidGrant, description);
    let (code_hash, found) = trace.check(&CODE_KNOWN, find_code(state, form).await)?;
    let Redeemable {
        code: record,
        grant,
        username,
    } = found;

    // The client proves the code is its own before a replay may revoke anything: otherwise
    // anyone holding a spent code could end the victim's grant without its credentials.
    trace.check(
        &ISSUED_TO,
        check_issued_to(&record, client).map_err(invalid_grant),
    )?;
    let not_replayed = match check_not_replayed(&record) {
        Ok(()) => Ok(()),
        Err(replay) => Err(revoke_on_replay(&state.db, &replay).await),
    };
    trace.check(&NOT_REPLAYED, not_replayed)?;
    trace.check(
        &NOT_EXPIRED,
        check_not_expired(&record, now).map_err(invalid_grant),
    )?;
    trace.check(
        &SAME_REDIRECT_URI,
        check_same_redirect_uri(&record, form).map_err(invalid_grant),
    )?;
    trace.check(
        &PKCE_VERIFIER,
        check_code_verifier(&record, form).map_err(invalid_grant),
    )?;

    let scope = record.scope.clone();
    let (grant, username) = trace.check(
        &GRANT_EXISTS,
        grant
            .zip(username)
            .ok_or_else(|| invalid_grant("the grant of this code, or its user, no longer exists")),
    )?;
    check_same_resource(trace, &grant, form)?;
    // Single use, atomically: the code is marked used in the transaction that stores the
    // tokens, so of concurrent redemptions exactly one gets them. The others are replays
    // (OAuth 2.1 §4.1.3) and revoke the grant like any replay.
    let issued = tokens::issue(
        state,
        &Issue {
            grant: &grant,
            grant_stored: true,
            username: Some(&username),
            scope: &scope,
            refresh_scope: client.may_use(GrantType::RefreshToken).then_some(&scope),
            refresh_not_after: None,
        },
        Spending::Code(&code_hash),
    )
    .await?;
    let spent = match issued {
        Some(response) => Ok(response),
        None => Err(revoke_on_replay(&state.db, &replay_of(&record)).await),
    };
    let mut response = trace.check(&SPENT_ONCE, spent)?;
    if scope.contains("openid") {
        response.id_token = Some(
            tokens::id_token(
                state,
                &grant,
                client.id_token_alg,
                record.nonce.as_deref(),
                &response.access_token,
            )
            .await?,
        );
    }
    tracing::info!(
        client = record.client_id,
        scope = %scope,
        refresh_token = response.refresh_token.is_some(),
        "token: code redeemed, PKCE verified; tokens issued"
    );
    Ok(response)
}

const CODE_KNOWN: Check = Check::new(
    "code_known",
    "RFC 6749 §4.1.3",
    "The code is one this server issued (it keeps only its hash).",
);
const ISSUED_TO: Check = Check::new(
    "code_issued_to_client",
    "RFC 6749 §4.1.3",
    "The code was issued to the client that presents it.",
);
const NOT_REPLAYED: Check = Check::new(
    "code_not_used_before",
    "OAuth 2.1 §4.1.3",
    "The code has not been redeemed before.",
);
const NOT_EXPIRED: Check = Check::new(
    "code_not_expired",
    "RFC 6749 §4.1.2",
    "The code is younger than its lifetime.",
);
const SAME_REDIRECT_URI: Check = Check::new(
    "redirect_uri_same",
    "RFC 6749 §4.1.3",
    "redirect_uri is identical to the one of the authorization request.",
);
const PKCE_VERIFIER: Check = Check::new(
    "pkce_verifier",
    "RFC 7636 §4.6",
    "BASE64URL(SHA-256(code_verifier)) equals the code_challenge sent to /authorize: whoever redeems the code started the flow.",
);
const GRANT_EXISTS: Check = Check::new(
    "grant_exists",
    "RFC 6749 §4.1.3",
    "The user's approval behind the code, and the user, still exist.",
);
const SPENT_ONCE: Check = Check::new(
    "code_spent_once",
    "OAuth 2.1 §4.1.3",
    "The code was marked used in the same transaction that stored the tokens: no concurrent redemption got any.",
);

/// The code's hash and what it was issued for, if the form names a code this server issued.
async fn find_code(
    state: &AppState,
    form: &TokenRequestForm,
) -> Result<(String, Redeemable), ApiError> {
    let code = form
        .code
        .as_deref()
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidRequest, "code is missing"))?;
    let code_hash = shared::digest::sha256_hex(code.as_bytes());
    let found = store::find_redeemable(&state.db, &code_hash)
        .await?
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidGrant, "unknown authorization code"))?;
    Ok((code_hash, found))
}

/// OAuth 2.1 §4.1.3: "If an authorization code is used more than once, the authorization
/// server MUST deny the request and SHOULD revoke (when possible) all tokens previously
/// issued based on that authorization code" (`common::revoke_on_replay`).
fn check_not_replayed(record: &CodeRecord) -> Result<(), Replay<'_>> {
    match record.used_at {
        Some(_) => Err(replay_of(record)),
        None => Ok(()),
    }
}

fn replay_of(record: &CodeRecord) -> Replay<'_> {
    Replay {
        grant_id: &record.grant_id,
        client_id: &record.client_id,
        finding: Finding::CodeReplayed,
    }
}

/// RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
/// confidential client, or if the client is public, ensure that the code was issued to
/// "client_id" in the request".
fn check_issued_to(record: &CodeRecord, client: &Client) -> Result<(), &'static str> {
    if record.client_id == client.client_id.as_str() {
        Ok(())
    } else {
        Err("the authorization code was issued to another client")
    }
}

/// RFC 6749 §4.1.2: "The authorization code MUST expire shortly after it is issued".
fn check_not_expired(record: &CodeRecord, now: i64) -> Result<(), &'static str> {
    if now < record.expires_at {
        Ok(())
    } else {
        Err("the authorization code has expired")
    }
}

/// RFC 6749 §4.1.3: "ensure that the "redirect_uri" parameter is present if the
/// "redirect_uri" parameter was included in the initial authorization request ... and if
/// included ensure that their values are identical."
fn check_same_redirect_uri(
    record: &CodeRecord,
    form: &TokenRequestForm,
) -> Result<(), &'static str> {
    if form.redirect_uri.as_deref() == Some(record.redirect_uri.as_str()) {
        Ok(())
    } else {
        Err("redirect_uri is missing or differs from the one in the authorization request")
    }
}

/// RFC 7636 §4.6: recompute the challenge from `code_verifier` and compare it, in constant
/// time, with the one stored at `/authorize`. Without the verifier a stolen code is useless.
fn check_code_verifier(record: &CodeRecord, form: &TokenRequestForm) -> Result<(), &'static str> {
    let verifier = form
        .code_verifier
        .as_deref()
        .ok_or("code_verifier is missing (PKCE)")?;
    let verifier =
        CodeVerifier::parse(verifier).map_err(|_| "code_verifier is malformed (RFC 7636 §4.1)")?;
    if record.code_challenge.verify(&verifier) {
        Ok(())
    } else {
        Err("code_verifier does not match the code_challenge (PKCE)")
    }
}

#[cfg(test)]
mod tests {
    use shared::TokenRequestForm;

    use super::{
        check_code_verifier, check_issued_to, check_not_expired, check_not_replayed,
        check_same_redirect_uri,
    };
    use crate::model::client::tests::operator_client;
    use crate::model::{Client, Finding};
    use crate::store::CodeRecord;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const NOW: i64 = 1_000_000;

    fn record() -> CodeRecord {
        CodeRecord {
            grant_id: "g1".to_owned(),
            client_id: "spa".to_owned(),
            user_id: "alice".to_owned(),
            redirect_uri: shared::RedirectUri::new("http://localhost:8080/callback"),
            scope: shared::ScopeSet::parse("openid read").expect("scopes"),
            code_challenge: shared::CodeChallenge::parse(CHALLENGE).expect("a challenge"),
            nonce: None,
            expires_at: NOW + 60,
            used_at: None,
        }
    }

    fn form(redirect_uri: Option<&str>, code_verifier: Option<&str>) -> TokenRequestForm {
        TokenRequestForm {
            redirect_uri: redirect_uri.map(str::to_owned),
            code_verifier: code_verifier.map(str::to_owned),
            ..TokenRequestForm::default()
        }
    }

    #[test]
    fn a_code_is_redeemed_only_by_the_client_it_was_issued_to() {
        assert_eq!(check_issued_to(&record(), &operator_client()), Ok(()));
        let other = Client {
            client_id: shared::ClientId::new("other"),
            ..operator_client()
        };
        assert_eq!(
            check_issued_to(&record(), &other),
            Err("the authorization code was issued to another client")
        );
    }

    #[test]
    fn a_code_used_before_is_a_replay_of_its_grant() {
        assert!(check_not_replayed(&record()).is_ok());
        let used = CodeRecord {
            used_at: Some(NOW - 1),
            ..record()
        };
        let replay = check_not_replayed(&used).expect_err("a replay");
        assert_eq!(
            (replay.grant_id, replay.client_id, replay.finding),
            ("g1", "spa", Finding::CodeReplayed)
        );
    }

    #[test]
    fn a_code_expires_at_the_end_of_its_lifetime() {
        let record = record();
        assert_eq!(check_not_expired(&record, record.expires_at - 1), Ok(()));
        assert!(check_not_expired(&record, record.expires_at).is_err());
    }

    #[test]
    fn the_redirect_uri_is_identical_to_the_authorization_requests() {
        let record = record();
        assert_eq!(
            check_same_redirect_uri(&record, &form(Some("http://localhost:8080/callback"), None)),
            Ok(())
        );
        for other in [
            None,
            Some("http://localhost:8080/callback/"),
            Some("http://localhost:8080/other"),
        ] {
            assert!(
                check_same_redirect_uri(&record, &form(other, None)).is_err(),
                "{other:?}"
            );
        }
    }

    #[test]
    fn the_code_verifier_must_hash_to_the_stored_challenge() {
        let record = record();
        assert_eq!(
            check_code_verifier(&record, &form(None, Some(VERIFIER))),
            Ok(())
        );
        assert_eq!(
            check_code_verifier(&record, &form(None, None)),
            Err("code_verifier is missing (PKCE)")
        );
        assert_eq!(
            check_code_verifier(&record, &form(None, Some("too-short"))),
            Err("code_verifier is malformed (RFC 7636 §4.1)")
        );
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
        assert_eq!(
            check_code_verifier(&record, &form(None, Some(other))),
            Err("code_verifier does not match the code_challenge (PKCE)")
        );
    }
}
