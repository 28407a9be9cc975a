//! Decision traces (`--lab-traces`): every check of every endpoint, in the order it runs,
//! with the one that refused last; nothing of it without the flag.

use reqwest::{Response, StatusCode};
use shared::trace::{Outcome, TRACE_HEADER, Trace};
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{
    CLIENT_ID, REDIRECT_URI, TestApp, obtain_code, spawn_app, spawn_app_with, userinfo,
};

async fn traced_app() -> TestApp {
    spawn_app_with(|config| config.lab_traces = true).await
}

/// The trace of the request `response` answers, from `GET /lab/traces/{id}`.
async fn trace_of(app: &TestApp, response: &Response) -> Trace {
    let id = response
        .headers()
        .get(TRACE_HEADER)
        .expect("the response names its trace")
        .to_str()
        .expect("ascii")
        .to_owned();
    let answer = app
        .http
        .get(app.url(&format!("/lab/traces/{id}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.expect("a trace")
}

fn names(trace: &Trace) -> Vec<&str> {
    trace.checks.iter().map(|c| c.name.as_str()).collect()
}

/// Every check passed (or did not apply), in `order`.
fn assert_passed(trace: &Trace, order: &[&str]) {
    assert_eq!(names(trace), order, "{trace:#?}");
    assert!(trace.refused_by().is_none(), "nothing refused: {trace:#?}");
}

/// The checks ran in `order` up to its last, which refused with `error`.
fn assert_refused_at(trace: &Trace, order: &[&str], error: &str) {
    let refusing = *order.last().expect("a check");
    assert_eq!(names(trace), order, "{trace:#?}");
    let refused = trace.refused_by().expect("a refusal");
    assert_eq!(refused.name, refusing);
    assert!(
        refused.says.starts_with(error),
        "{:?} says {error}",
        refused.says
    );
}

/// Changes to a good request (parameter, value), how many checks run, and the error the
/// last one refuses with.
type Case<'a, V> = (&'a [(&'static str, V)], usize, &'static str);

const CODE_REDEMPTION: [&str; 13] = [
    "form",
    "grant_type",
    "client_authenticated",
    "grant_allowed",
    "code_known",
    "code_issued_to_client",
    "code_not_used_before",
    "code_not_expired",
    "redirect_uri_same",
    "pkce_verifier",
    "grant_exists",
    "resource_same",
    "code_spent_once",
];

#[tokio::test]
async fn without_lab_traces_the_trace_endpoints_do_not_exist_and_no_response_names_a_trace() {
    let app = spawn_app().await;
    for path in ["/lab/traces", "/lab/traces/0123", "/lab/events"] {
        let response = app.http.get(app.url(path)).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = app.service_token_for("http://localhost:8082").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(TRACE_HEADER).is_none());
}

#[tokio::test]
async fn a_code_redemption_is_traced_check_by_check_in_the_documented_order() {
    let app = traced_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "openid read", &verifier).await;
    let response = app.redeem(&code, verifier.secret()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let trace = trace_of(&app, &response).await;
    assert_passed(&trace, &CODE_REDEMPTION);
    assert_eq!(
        (trace.method.as_str(), trace.path.as_str()),
        ("POST", "/token")
    );
    assert_eq!(trace.status, 200);
    let pkce = &trace.checks[9];
    assert_eq!(
        (pkce.outcome, pkce.rule.as_str()),
        (Outcome::Passed, "RFC 7636 §4.6")
    );
    assert_eq!(
        trace.checks[11].outcome,
        Outcome::NotApplicable,
        "no resource parameter"
    );
}

#[tokio::test]
async fn each_refusal_of_a_code_redemption_ends_its_trace_at_the_check_that_refused() {
    let app = traced_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "read", &verifier).await;
    let redeem = |changes: &[(&'static str, &str)]| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT_URI.to_owned()),
            ("client_id", CLIENT_ID.to_owned()),
            ("code_verifier", verifier.secret().to_owned()),
        ];
        for (name, value) in changes {
            form.retain(|(n, _)| n != name);
            if !value.is_empty() {
                form.push((name, (*value).to_owned()));
            }
        }
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            app.token(&form).await
        }
    };
    let wrong_verifier = CodeVerifier::generate();
    // Changes to the good request, how many checks run, and the error of the last.
    let refusals: [Case<'_, &str>; 7] = [
        (&[("grant_type", "password")], 2, "unsupported_grant_type"),
        (&[("client_id", "nobody")], 3, "invalid_client"),
        (&[("client_id", "service-client")], 3, "invalid_client"),
        (&[("code", "not-a-code")], 5, "invalid_grant"),
        (
            &[("redirect_uri", "http://localhost:8080/other")],
            9,
            "invalid_grant",
        ),
        (&[("code_verifier", "")], 10, "invalid_grant"),
        (
            &[("code_verifier", wrong_verifier.secret())],
            10,
            "invalid_grant",
        ),
    ];
    for (changes, checks, error) in refusals {
        let response = redeem(changes).await;
        assert!(response.status().is_client_error(), "{changes:?}");
        let trace = trace_of(&app, &response).await;
        assert_refused_at(&trace, &CODE_REDEMPTION[..checks], error);
    }
    let response = redeem(&[]).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "refusals did not spend the code"
    );
    let replay = redeem(&[]).await;
    let trace = trace_of(&app, &replay).await;
    assert_refused_at(&trace, &CODE_REDEMPTION[..7], "invalid_grant");
}

#[tokio::test]
async fn a_request_that_is_no_form_is_refused_at_the_first_check() {
    let app = traced_app().await;
    let response = app
        .http
        .post(app.url("/token"))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let trace = trace_of(&app, &response).await;
    assert_refused_at(&trace, &["form"], "invalid_request");
}

#[tokio::test]
async fn a_refresh_is_traced_in_order_and_a_reused_refresh_token_is_refused_at_its_check() {
    let app = traced_app().await;
    let tokens = app
        .tokens_for("alice", "password123", "read offline_access")
        .await;
    let old = tokens.refresh_token.expect("a refresh token");
    let response = app.refresh(old.secret()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let order = [
        "form",
        "grant_type",
        "client_authenticated",
        "grant_allowed",
        "refresh_token_known",
        "refresh_token_issued_to_client",
        "refresh_token_not_reused",
        "grant_exists",
        "resource_same",
        "refresh_token_not_revoked",
        "refresh_token_not_expired",
        "scope_not_widened",
        "refresh_token_rotated",
    ];
    assert_passed(&trace_of(&app, &response).await, &order);
    let reused = app.refresh(old.secret()).await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    assert_refused_at(&trace_of(&app, &reused).await, &order[..7], "invalid_grant");
}

#[tokio::test]
async fn client_credentials_are_traced_in_order_and_a_scope_beyond_the_client_is_refused_there() {
    let app = traced_app().await;
    let order = [
        "form",
        "grant_type",
        "client_authenticated",
        "grant_allowed",
        "client_confidential",
        "scope_allowed",
        "resource_known",
    ];
    let response = app.service_token_for("http://localhost:8082").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_passed(&trace_of(&app, &response).await, &order);
    let response = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
            ("scope", "admin"),
        ])
        .await;
    assert_refused_at(
        &trace_of(&app, &response).await,
        &order[..6],
        "invalid_scope",
    );
}

const AUTHORIZE: [&str; 12] = [
    "query",
    "client",
    "redirect_uri_exact",
    "no_repeated_parameter",
    "lengths",
    "response_type",
    "pkce_challenge",
    "scope",
    "resource",
    "prompt",
    "max_age",
    "user",
];

/// The traces of the front-channel steps of the authorization request with `state`.
async fn traces_by_state(app: &TestApp, state: &str) -> Vec<Trace> {
    app.http
        .get(app.url(&format!("/lab/traces?state={state}")))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("traces")
}

#[tokio::test]
async fn the_front_channel_steps_of_one_authorization_request_are_found_by_its_state() {
    let app = traced_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(&app, "alice", "password123", "openid read", &verifier).await;
    let steps = traces_by_state(&app, "state-123").await;
    let paths: Vec<(&str, &str)> = steps
        .iter()
        .map(|t| (t.method.as_str(), t.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET", "/authorize"),
            ("POST", "/login"),
            ("GET", "/consent"),
            ("POST", "/consent")
        ]
    );
    assert_passed(&steps[0], &AUTHORIZE);
    assert_passed(
        &steps[1],
        &[
            "session_csrf",
            "pending_request",
            "login_throttle",
            "credentials",
        ],
    );
    assert_passed(
        &steps[2],
        &[
            "logged_in",
            "pending_request",
            "fresh_login",
            "consent_remembered",
        ],
    );
    assert_passed(
        &steps[3],
        &[
            "session_csrf",
            "logged_in",
            "pending_request",
            "fresh_login",
            "decision",
            "scope_grantable",
            "code_issued",
        ],
    );
    let issued = &steps[3].checks[6].says;
    assert!(!issued.contains(&code), "the code is masked: {issued}");
    assert!(traces_by_state(&app, "another-state").await.is_empty());
}

#[tokio::test]
async fn an_authorization_request_is_refused_at_the_check_it_fails() {
    let app = traced_app().await;
    let cases: [Case<'_, Option<&str>>; 4] = [
        (
            &[("redirect_uri", Some("http://localhost:8080/other"))],
            3,
            "Invalid redirect URI",
        ),
        (
            &[("response_type", Some("token"))],
            6,
            "unsupported_response_type",
        ),
        (&[("code_challenge", None)], 7, "invalid_request"),
        (&[("scope", Some("read nonsense"))], 8, "invalid_scope"),
    ];
    for (changes, checks, error) in cases {
        let mut browser = app.browser();
        let response = browser.authorize(&CodeVerifier::generate(), changes).await;
        let trace = trace_of(&app, &response).await;
        assert_refused_at(&trace, &AUTHORIZE[..checks], error);
    }
}

#[tokio::test]
async fn a_failed_login_is_traced_as_credentials_rejected_without_saying_which_half_was_wrong() {
    let app = traced_app().await;
    let (mut browser, html) = app.at_login_page().await;
    let response = browser.log_in(&html, "alice", "not-her-password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let trace = trace_of(&app, &response).await;
    assert_refused_at(
        &trace,
        &[
            "session_csrf",
            "pending_request",
            "login_throttle",
            "credentials",
        ],
        "Credentials rejected.",
    );
    let json = serde_json::to_string(&trace).expect("JSON");
    assert!(!json.contains("not-her-password"));
    let (mut browser, html) = app.at_login_page().await;
    let response = browser.log_in(&html, "nobody", "password123").await;
    let other = trace_of(&app, &response).await;
    assert_eq!(
        other.refused_by().map(|c| &c.says),
        trace.refused_by().map(|c| &c.says)
    );
}

#[tokio::test]
async fn revocation_introspection_and_userinfo_are_traced_in_order() {
    let app = traced_app().await;
    let tokens: TokenResponse = app
        .tokens_for("alice", "password123", "openid profile read")
        .await;
    let access = tokens.access_token.secret().to_owned();

    let response = userinfo(&app, &access).await;
    assert_eq!(response.status(), StatusCode::OK);
    let userinfo_order = [
        "token_not_in_url",
        "bearer_header",
        "token_signature",
        "token_live",
        "openid_scope",
        "audience",
        "user_exists",
    ];
    assert_passed(&trace_of(&app, &response).await, &userinfo_order);

    let introspection = |token: String| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/introspect"))
                .basic_auth("resource-server", Some("resource-server-secret"))
                .form(&[("token", token)])
                .send()
                .await
                .expect("sent")
        }
    };
    let introspect_order = [
        "form",
        "client_authenticated",
        "client_may_introspect",
        "token_present",
        "token_active",
    ];
    let response = introspection(access.clone()).await;
    assert_passed(&trace_of(&app, &response).await, &introspect_order);

    let response = app
        .http
        .post(app.url("/revoke"))
        .form(&[("token", access.as_str()), ("client_id", CLIENT_ID)])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_passed(
        &trace_of(&app, &response).await,
        &[
            "form",
            "client_authenticated",
            "token_present",
            "token_issued_to_client",
            "revoked",
        ],
    );

    // The same checks refuse the revoked token, each where it should.
    let response = introspection(access.clone()).await;
    assert_refused_at(
        &trace_of(&app, &response).await,
        &introspect_order,
        "Not active",
    );
    let response = userinfo(&app, &access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_refused_at(
        &trace_of(&app, &response).await,
        &userinfo_order[..4],
        "invalid_token",
    );
}

#[tokio::test]
async fn a_registration_is_traced_in_order_and_refused_at_the_metadata_it_fails() {
    let app = traced_app().await;
    let order = [
        "registration_open",
        "json_body",
        "token_endpoint_auth_method",
        "grant_types",
        "response_types",
        "redirect_uris",
        "scope",
        "id_token_signed_response_alg",
        "client_name",
        "registration_rate",
    ];
    let response = app
        .register(serde_json::json!({"client_name": "traced client",
            "token_endpoint_auth_method": "none", "redirect_uris": ["http://127.0.0.1:9000/cb"]}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_passed(&trace_of(&app, &response).await, &order);
    let response = app
        .register(serde_json::json!({"token_endpoint_auth_method": "none",
            "redirect_uris": ["http://127.0.0.1:9000/cb"], "grant_types": ["implicit"]}))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_refused_at(
        &trace_of(&app, &response).await,
        &order[..4],
        "invalid_client_metadata",
    );
}

#[tokio::test]
async fn no_trace_of_a_whole_flow_holds_a_secret_whole() {
    let app = traced_app().await;
    let verifier = CodeVerifier::generate();
    let code = obtain_code(
        &app,
        "alice",
        "password123",
        "openid read offline_access",
        &verifier,
    )
    .await;
    let tokens = app.redeemed(&code, &verifier).await;
    let refresh = tokens.refresh_token.expect("a refresh token");
    app.refresh(refresh.secret()).await;
    app.service_token_for("http://localhost:8082").await;
    let all = app
        .http
        .get(app.url("/lab/traces"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("traces");
    assert!(all.contains("pkce_verifier"), "the flow is in the ring");
    for secret in [
        code.as_str(),
        verifier.secret(),
        tokens.access_token.secret(),
        refresh.secret(),
        tokens.id_token.as_deref().expect("an ID token"),
        "password123",
        "service-secret",
    ] {
        assert!(!all.contains(secret), "a secret in the traces: {secret}");
    }
}

#[tokio::test]
async fn the_live_stream_sends_each_decision_as_it_is_made() {
    let app = traced_app().await;
    let mut events = app
        .http
        .get(app.url("/lab/events"))
        .send()
        .await
        .expect("sent");
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(
        events
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let response = app.service_token_for("http://localhost:8082").await;
    let id = response.headers()[TRACE_HEADER]
        .to_str()
        .expect("ascii")
        .to_owned();
    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !received.contains(&id) {
        let chunk = tokio::time::timeout_at(deadline, events.chunk())
            .await
            .expect("the trace arrives within 10 s")
            .expect("a chunk")
            .expect("the stream stays open");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(received.contains("event: trace"));
    assert!(received.contains("client_confidential"));
}

#[tokio::test]
async fn the_ring_stays_bounded_under_load() {
    let app = traced_app().await;
    let requests = (0..1_200).map(|_| {
        app.http
            .get(app.url("/.well-known/oauth-authorization-server"))
            .send()
    });
    for answer in futures::future::join_all(requests).await {
        assert_eq!(answer.expect("sent").status(), StatusCode::OK);
    }
    let kept: Vec<Trace> = app
        .http
        .get(app.url("/lab/traces"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("traces");
    assert_eq!(kept.len(), 1_000, "the last 1,000 requests, no more");
}

#[tokio::test]
async fn the_spa_may_read_the_trace_header_and_the_traces() {
    let app = traced_app().await;
    let response = app
        .http
        .post(app.url("/token"))
        .header("origin", "http://localhost:8080")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(exposed.contains(TRACE_HEADER), "{exposed}");
    let id = response.headers()[TRACE_HEADER]
        .to_str()
        .expect("ascii")
        .to_owned();
    let trace = app
        .http
        .get(app.url(&format!("/lab/traces/{id}")))
        .header("origin", "http://localhost:8080")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        trace
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("http://localhost:8080")
    );
    let unknown = app
        .http
        .get(app.url("/lab/traces/nope"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_traces_answer_only_requests_addressed_to_the_servers_own_name() {
    let app = traced_app().await;
    for path in ["/lab/traces", "/lab/events", "/lab/traces/nope"] {
        let rebound = app
            .http
            .get(app.url(path))
            .header("host", "rebind.attacker.example:8081")
            .send()
            .await
            .expect("sent");
        assert_eq!(rebound.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let own = app
        .http
        .get(app.url("/lab/traces"))
        .header("host", "localhost:8081")
        .send()
        .await
        .expect("sent");
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn at_most_sixteen_live_streams_are_open_at_once_and_the_next_is_503() {
    let app = traced_app().await;
    let mut open = Vec::new();
    for _ in 0..server_kit::trace::MAX_LISTENERS {
        let stream = app
            .http
            .get(app.url("/lab/events"))
            .send()
            .await
            .expect("sent");
        assert_eq!(stream.status(), StatusCode::OK);
        open.push(stream);
    }
    let one_more = app
        .http
        .get(app.url("/lab/events"))
        .send()
        .await
        .expect("sent");
    assert_eq!(one_more.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(one_more.headers().contains_key("retry-after"));
    drop(open.pop());
    // The closed stream is counted out once the server sees it gone.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let again = app
            .http
            .get(app.url("/lab/events"))
            .send()
            .await
            .expect("sent");
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed stream frees its place"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_trace_keeps_a_long_path_and_a_long_refused_state_cut_and_unfindable_by_it() {
    let app = traced_app().await;
    let long_path = format!("/{}", "a".repeat(15_000));
    let response = app
        .http
        .get(app.url(&long_path))
        .send()
        .await
        .expect("sent");
    let trace = trace_of(&app, &response).await;
    assert!(trace.path.len() < 600, "{}", trace.path.len());
    assert!(trace.path.contains("more bytes not kept"), "{}", trace.path);

    let state = "s".repeat(12_000);
    let refused = app
        .browser()
        .authorize(&CodeVerifier::generate(), &[("state", Some(&state))])
        .await;
    assert_eq!(refused.status(), StatusCode::FOUND);
    assert!(traces_by_state(&app, &state).await.is_empty());
}
