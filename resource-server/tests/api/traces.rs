//! Decision traces of the resource server (`--lab-traces`): every check of a protected
//! request, in order, with the refusing one last.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Response, StatusCode};
use shared::trace::{Outcome, TRACE_HEADER, Trace};

use crate::helpers::{Lab, sign, spawn_lab, spawn_lab_with, with_broken_signature};

async fn traced_lab() -> Lab {
    spawn_lab_with(|config| config.lab_traces = true).await
}

async fn trace_of(lab: &Lab, response: &Response) -> Trace {
    let id = response.headers()[TRACE_HEADER]
        .to_str()
        .expect("ascii")
        .to_owned();
    lab.http
        .get(format!("{}/lab/traces/{id}", lab.resource))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("a trace")
}

fn names(trace: &Trace) -> Vec<&str> {
    trace.checks.iter().map(|c| c.name.as_str()).collect()
}

/// The checks of a protected request whose token is verified for the first time.
const FIRST_SIGHT: [&str; 12] = [
    "token_not_in_url",
    "bearer_header",
    "jwt_form",
    "algorithm_allowed",
    "typ_at_jwt",
    "key_published",
    "key_algorithm",
    "signature",
    "claims",
    "not_revoked",
    "audience",
    "scope",
];

/// The checks ran in `order`, and the last refused with a sentence that starts with `says`.
fn assert_refused_at(trace: &Trace, order: &[&str], says: &str) {
    assert_eq!(names(trace), order, "{trace:#?}");
    let refused = trace.refused_by().expect("a refusal");
    assert_eq!(Some(refused.name.as_str()), order.last().copied());
    assert!(refused.says.starts_with(says), "{:?}", refused.says);
}

#[tokio::test]
async fn without_lab_traces_the_resource_server_has_no_trace_endpoints_and_names_no_trace() {
    let lab = spawn_lab().await;
    for path in ["/lab/traces/0123", "/lab/events"] {
        let response = lab
            .http
            .get(format!("{}{path}", lab.resource))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = lab.get("/api/profile", None).await;
    assert!(response.headers().get(TRACE_HEADER).is_none());
}

#[tokio::test]
async fn a_protected_request_is_traced_check_by_check_and_a_token_seen_before_skips_the_signature()
{
    let lab = traced_lab().await;
    let token = lab.token("read").await;
    let response = lab.get("/api/profile", Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let trace = trace_of(&lab, &response).await;
    assert_eq!(names(&trace), FIRST_SIGHT);
    assert!(trace.checks.iter().all(|c| c.outcome == Outcome::Passed));
    assert_eq!(trace.server, "resource-server");

    let again = lab.get("/api/profile", Some(&token)).await;
    let trace = trace_of(&lab, &again).await;
    assert_eq!(
        names(&trace),
        [
            "token_not_in_url",
            "bearer_header",
            "verified_before",
            "not_revoked",
            "audience",
            "scope"
        ]
    );
}

#[tokio::test]
async fn each_refusal_of_a_protected_request_ends_its_trace_at_the_check_that_refused() {
    let lab = traced_lab().await;
    let token = lab.token("read").await;
    let (kid, key, public) = lab.signing_key().await;

    let response = lab
        .get(&format!("/api/profile?access_token={token}"), None)
        .await;
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT[..1],
        "access tokens are not accepted in the URL",
    );

    let response = lab.get("/api/profile", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT[..2],
        "No access token",
    );

    let response = lab.get("/api/profile", Some("not-a-jwt")).await;
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT[..3],
        "the token is not a well-formed JWT",
    );

    // An HMAC token keyed with the published public key: the algorithm allow-list stops it.
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(kid.clone());
    let forged = jsonwebtoken::encode(
        &header,
        &lab.claims("read"),
        &EncodingKey::from_secret(&public),
    )
    .expect("signed");
    let response = lab.get("/api/profile", Some(&forged)).await;
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT[..4],
        "the signature algorithm HS256 is not allowed",
    );

    let response = lab
        .get(
            "/api/profile",
            Some(&sign(&lab.claims("read"), "no-such-key", &key)),
        )
        .await;
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT[..6],
        "the token was signed with an unknown key",
    );

    let response = lab
        .get("/api/profile", Some(&with_broken_signature(&token)))
        .await;
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT[..8],
        "the signature does not verify",
    );

    let mut expired = lab.claims("read");
    expired["exp"] = serde_json::json!(server_kit::unix_now() - 3_600);
    let response = lab
        .get("/api/profile", Some(&sign(&expired, &kid, &key)))
        .await;
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT[..9],
        "the token has expired",
    );

    let response = lab
        .call(reqwest::Method::POST, "/api/notes", Some(&token))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Its first verification: every check runs, and the last refuses.
    assert_refused_at(
        &trace_of(&lab, &response).await,
        &FIRST_SIGHT,
        "insufficient_scope",
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_not_revoked_once_the_list_has_reached_the_server() {
    let lab = traced_lab().await;
    let token = lab.token("read").await;
    lab.revoke(&token).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let response = loop {
        let response = lab.get("/api/profile", Some(&token)).await;
        if response.status() == StatusCode::UNAUTHORIZED {
            break response;
        }
        assert!(tokio::time::Instant::now() < deadline, "never refused");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let trace = trace_of(&lab, &response).await;
    let refused = trace.refused_by().expect("a refusal");
    assert_eq!(refused.name, "not_revoked");
    assert_eq!(refused.rule, "RFC 7009 §2");
}
