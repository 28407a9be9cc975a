//! Each rule of the authorization request, without a server: one test per rule, named as
//! the rule.

use shared::AuthorizationErrorCode::{InvalidRequest, InvalidScope, UnsupportedResponseType};
use shared::ScopeSet;

use super::checks::{
    check_lengths, check_max_age, check_no_repeated_parameter, check_pkce, check_prompt,
    check_redirect_uri, check_response_type, check_scope, login_will_do,
};
use super::request::{AuthorizationRequest, MAX_OPAQUE_BYTES, Prompt, Refusal};
use crate::model::Client;
use crate::model::client::tests::operator_client;
use crate::store::Session;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn request(query: &str) -> AuthorizationRequest {
    AuthorizationRequest::parse(query).expect("readable")
}

fn self_registered() -> Client {
    Client {
        self_registered: true,
        redirect_uris: vec![shared::RedirectUri::new("http://127.0.0.1:5000/callback")],
        ..operator_client()
    }
}

fn code_of<T: std::fmt::Debug>(result: Result<T, Refusal>) -> shared::AuthorizationErrorCode {
    result.expect_err("refused").code
}

#[test]
fn a_redirect_uri_must_equal_a_registered_one_character_for_character() {
    let client = operator_client();
    let exact = request("redirect_uri=http://localhost:8080/callback");
    assert_eq!(
        check_redirect_uri(&client, &exact)
            .expect("registered")
            .as_str(),
        "http://localhost:8080/callback"
    );
    for other in [
        "redirect_uri=http://localhost:8080/callback/",
        "redirect_uri=http://localhost:8081/callback",
        "redirect_uri=http://LOCALHOST:8080/callback",
        "redirect_uri=http://localhost:8080/callback?x=1",
    ] {
        let refusal = check_redirect_uri(&client, &request(other)).expect_err(other);
        assert_eq!(refusal.title, "Invalid redirect URI", "{other}");
    }
}

#[test]
fn a_missing_or_repeated_redirect_uri_is_refused_on_a_page() {
    let client = operator_client();
    let missing = check_redirect_uri(&client, &request("client_id=spa")).expect_err("missing");
    assert_eq!(missing.title, "Missing redirect URI");
    let twice = request(
        "redirect_uri=http://localhost:8080/callback&redirect_uri=http://localhost:8080/callback",
    );
    assert_eq!(
        check_redirect_uri(&client, &twice)
            .expect_err("twice")
            .title,
        "Invalid redirect URI"
    );
}

#[test]
fn only_a_self_registered_clients_loopback_redirect_uri_may_change_its_port() {
    let other_port = request("redirect_uri=http://127.0.0.1:6123/callback");
    assert!(check_redirect_uri(&self_registered(), &other_port).is_ok());
    let operator = Client {
        redirect_uris: vec![shared::RedirectUri::new("http://127.0.0.1:5000/callback")],
        ..operator_client()
    };
    assert!(check_redirect_uri(&operator, &other_port).is_err());
}

#[test]
fn no_parameter_may_appear_twice() {
    assert!(check_no_repeated_parameter(&request("scope=read&state=a")).is_ok());
    let refusal = check_no_repeated_parameter(&request("scope=read&state=a&scope=write"))
        .expect_err("repeated");
    assert_eq!(refusal.code, InvalidRequest);
    assert_eq!(
        refusal.description,
        "the parameter scope appears more than once"
    );
}

#[test]
fn state_nonce_and_login_hint_are_at_most_512_bytes() {
    let longest = "s".repeat(MAX_OPAQUE_BYTES);
    assert!(check_lengths(&request(&format!("state={longest}&nonce={longest}"))).is_ok());
    for name in ["state", "nonce", "login_hint"] {
        let too_long = request(&format!("{name}={longest}x"));
        assert_eq!(code_of(check_lengths(&too_long)), InvalidRequest, "{name}");
    }
    let state = request(&format!("state={longest}x"));
    assert_eq!(
        state.state(),
        None,
        "a state the check refuses is not kept either"
    );
}

#[test]
fn the_response_type_is_code_and_the_implicit_grant_is_gone() {
    assert!(check_response_type(&request("response_type=code")).is_ok());
    assert_eq!(
        code_of(check_response_type(&request("response_type=token"))),
        UnsupportedResponseType
    );
    assert_eq!(
        code_of(check_response_type(&request("client_id=spa"))),
        InvalidRequest
    );
}

#[test]
fn every_request_carries_an_s256_pkce_challenge() {
    let good = request(&format!(
        "code_challenge={CHALLENGE}&code_challenge_method=S256"
    ));
    assert_eq!(check_pkce(&good).expect("S256").as_str(), CHALLENGE);
    for refused in [
        String::from("code_challenge_method=S256"),
        format!("code_challenge={CHALLENGE}"),
        format!("code_challenge={CHALLENGE}&code_challenge_method=plain"),
        format!("code_challenge={CHALLENGE}&code_challenge_method=s256"),
        String::from("code_challenge=short&code_challenge_method=S256"),
    ] {
        assert_eq!(
            code_of(check_pkce(&request(&refused))),
            InvalidRequest,
            "{refused}"
        );
    }
}

#[test]
fn without_a_scope_the_client_gets_the_documented_default() {
    let scope = check_scope(&operator_client(), &request("client_id=spa")).expect("default");
    assert_eq!(scope, ScopeSet::parse("read").expect("scopes"));
}

#[test]
fn an_unknown_scope_is_refused() {
    assert_eq!(
        code_of(check_scope(
            &operator_client(),
            &request("scope=read%20bogus")
        )),
        InvalidScope
    );
}

#[test]
fn scopes_the_client_may_not_have_are_left_out_and_nothing_left_is_refused() {
    let client = operator_client();
    let kept =
        check_scope(&client, &request("scope=read%20write%20offline_access")).expect("some kept");
    assert_eq!(
        kept,
        ScopeSet::parse("read offline_access").expect("scopes")
    );
    assert_eq!(
        code_of(check_scope(&client, &request("scope=admin"))),
        InvalidScope
    );
}

#[test]
fn a_self_registered_client_may_ask_within_the_ceiling_but_never_for_admin() {
    let client = self_registered();
    let kept = check_scope(&client, &request("scope=write%20admin")).expect("write kept");
    assert_eq!(kept, ScopeSet::parse("write").expect("scopes"));
    assert_eq!(
        code_of(check_scope(&client, &request("scope=admin"))),
        InvalidScope
    );
}

#[test]
fn prompt_holds_none_login_consent_or_select_account_and_none_stands_alone() {
    assert_eq!(check_prompt(&request("")), Ok(Prompt::default()));
    assert_eq!(
        check_prompt(&request("prompt=select_account%20consent")),
        Ok(Prompt {
            none: false,
            login: true,
            consent: true,
        })
    );
    assert!(check_prompt(&request("prompt=none")).is_ok_and(|prompt| prompt.none));
    for refused in ["prompt=none%20login", "prompt=always", "prompt=login%20"] {
        assert_eq!(
            code_of(check_prompt(&request(refused))),
            InvalidRequest,
            "{refused}"
        );
    }
}

#[test]
fn max_age_is_a_number_of_seconds() {
    assert_eq!(check_max_age(&request("")), Ok(None));
    assert_eq!(check_max_age(&request("max_age=300")), Ok(Some(300)));
    for refused in ["max_age=-1", "max_age=5m", "max_age="] {
        assert_eq!(
            code_of(check_max_age(&request(refused))),
            InvalidRequest,
            "{refused}"
        );
    }
}

#[test]
fn a_login_will_do_unless_nobody_is_logged_in_a_new_one_is_asked_or_it_is_older_than_max_age() {
    let now = 1_000_000;
    let logged_in = Session {
        id_hash: String::new(),
        csrf_token: String::new(),
        user_id: Some("alice".to_owned()),
        auth_time: Some(now - 100),
    };
    let any = Prompt::default();
    assert!(login_will_do(&logged_in, &any, None, now));
    assert!(login_will_do(&logged_in, &any, Some(100), now));
    assert!(!login_will_do(&logged_in, &any, Some(99), now));
    assert!(!login_will_do(&logged_in, &any, Some(0), now));
    let login = Prompt {
        login: true,
        ..Prompt::default()
    };
    assert!(!login_will_do(&logged_in, &login, None, now));
    let nobody = Session {
        user_id: None,
        ..logged_in
    };
    assert!(!login_will_do(&nobody, &any, None, now));
}
