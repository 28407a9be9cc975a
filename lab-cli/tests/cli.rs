//! The command-line flow and the token inspector against the real servers.

use lab_cli::flow::{self, FlowConfig};
use lab_cli::{inspect, traces};
use shared::demo::ACCOUNTS as DEMO_ACCOUNTS;
use shared::trace::Outcome;

mod common;

use common::{Servers, start_servers};

async fn spawn_lab() -> Servers {
    start_servers(false, "127.0.0.1:0", "127.0.0.1:0", &[]).await
}

fn config(lab: &Servers, username: &str, password: &str) -> FlowConfig {
    FlowConfig {
        auth_url: lab.issuer.clone(),
        resource_url: lab.resource.clone(),
        username: username.to_owned(),
        password: password.to_owned(),
        scope: "openid profile read".to_owned(),
    }
}

#[tokio::test]
async fn the_whole_flow_passes_every_step_for_every_demo_account() {
    let lab = spawn_lab().await;
    for (username, password) in DEMO_ACCOUNTS {
        let report = flow::run(&config(&lab, username, password)).await;
        assert!(report.ok, "{username}: {:#?}", report.steps);
        let steps: Vec<&str> = report.steps.iter().map(|s| s.step).collect();
        assert_eq!(steps.len(), 10, "{steps:?}");
        assert_eq!(steps.last(), Some(&"revocation"));
    }
}

#[tokio::test]
async fn the_flow_shows_under_each_step_what_the_server_checked() {
    let lab = spawn_lab().await;
    let report = flow::run(&config(&lab, "alice", "password123")).await;
    assert!(report.ok, "{:#?}", report.steps);
    let checks_of = |step: &str| -> Vec<(String, Outcome)> {
        report
            .steps
            .iter()
            .find(|s| s.step == step)
            .map(|s| {
                s.checks
                    .iter()
                    .map(|c| (c.name.clone(), c.outcome))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        checks_of("token exchange (PKCE)").contains(&("pkce_verifier".to_owned(), Outcome::Passed))
    );
    assert!(checks_of("login").contains(&("credentials".to_owned(), Outcome::Passed)));
    assert!(
        checks_of("resource call (GET /api/profile)")
            .contains(&("signature".to_owned(), Outcome::Passed))
    );
    assert!(
        checks_of("redirect (state, iss, code)").is_empty(),
        "the client's own step"
    );
    let json = serde_json::to_value(&report).expect("serializes");
    let exchange = &json["steps"][6];
    assert_eq!(exchange["step"], "token exchange (PKCE)");
    assert_eq!(exchange["checks"][9]["name"], "pkce_verifier");
    assert_eq!(exchange["checks"][9]["outcome"], "passed");
}

#[tokio::test]
async fn watch_prints_each_decision_of_the_servers_as_it_is_made() {
    let lab = spawn_lab().await;
    let http = reqwest::Client::new();
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let issuer = lab.issuer.clone();
    let watcher = tokio::spawn(async move {
        let http = reqwest::Client::new();
        traces::watch(&http, &issuer, |trace| {
            let _ = sender.send(trace);
            true
        })
        .await
    });
    // The stream is open once a request made now arrives on it.
    let trace = loop {
        http.post(format!("{}/token", lab.issuer))
            .form(&[("grant_type", "password")])
            .send()
            .await
            .expect("sent");
        if let Ok(Some(trace)) =
            tokio::time::timeout(std::time::Duration::from_millis(500), received.recv()).await
        {
            break trace;
        }
    };
    assert_eq!(
        (trace.method.as_str(), trace.path.as_str()),
        ("POST", "/token")
    );
    assert_eq!(
        trace.refused_by().map(|c| c.name.as_str()),
        Some("grant_type")
    );
    let mut printed = Vec::new();
    traces::print_trace(&mut printed, &trace, false);
    let printed = String::from_utf8(printed).expect("UTF-8");
    assert!(
        printed.starts_with("auth-server POST /token → 400"),
        "{printed}"
    );
    assert!(printed.contains("✘ grant_type"), "{printed}");
    watcher.abort();
}

#[tokio::test]
async fn watch_says_how_to_turn_traces_on_when_a_server_records_none() {
    let lab = auth_server_without_traces().await;
    let http = reqwest::Client::new();
    let error = traces::watch(&http, &lab.0, |_| true)
        .await
        .expect_err("nothing to watch");
    assert!(
        error.to_string().contains("start it with --lab-traces"),
        "{error}"
    );
}

/// An authorization server as it starts without the lab's flags: its URL.
async fn auth_server_without_traces() -> (String, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut config = <auth_server::config::Config as clap::Parser>::parse_from([
        "auth-server",
        "--addr",
        "127.0.0.1:0",
    ]);
    config.database_url = format!("sqlite://{}/auth.db", data.path().display());
    let app = auth_server::startup::Application::build(config)
        .await
        .expect("the authorization server starts");
    let url = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    (url, data)
}

#[tokio::test]
async fn a_wrong_password_fails_at_the_login_step_and_says_so() {
    let lab = spawn_lab().await;
    let report = flow::run(&config(&lab, "alice", "wrong")).await;
    assert!(!report.ok);
    let failed = report.steps.iter().find(|s| !s.ok).expect("a failed step");
    assert_eq!(failed.step, "login");
    assert_eq!(failed.status, Some(401));
    let json = serde_json::to_value(&report).expect("serializes");
    assert_eq!(json["steps"][2]["ok"], false);
}

#[tokio::test]
async fn a_down_server_fails_at_discovery_with_a_readable_reason() {
    let report = flow::run(&FlowConfig {
        auth_url: "http://127.0.0.1:9".to_owned(),
        resource_url: "http://127.0.0.1:9".to_owned(),
        username: "alice".to_owned(),
        password: "password123".to_owned(),
        scope: "read".to_owned(),
    })
    .await;
    assert!(!report.ok);
    assert_eq!(report.steps[0].step, "discovery");
    assert!(
        report.steps[0].detail.contains("no answer"),
        "{}",
        report.steps[0].detail
    );
}

#[tokio::test]
async fn inspect_passes_a_real_token_and_names_the_check_a_tampered_one_fails() {
    let lab = spawn_lab().await;
    let report = flow::run(&config(&lab, "bob", "secret456")).await;
    let token = report
        .tokens
        .expect("tokens")
        .access_token
        .secret()
        .to_owned();
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks.json", lab.issuer))
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let checks = inspect::check(&token, &jwks, &lab.issuer, "http://localhost:8082");
    assert!(checks.iter().all(|c| c.ok), "{checks:#?}");

    let wrong_audience = inspect::check(&token, &jwks, &lab.issuer, "http://localhost:9999");
    assert!(wrong_audience.iter().any(|c| c.name == "aud" && !c.ok));

    let (head, signature) = token.rsplit_once('.').expect("a JWT");
    let tampered = format!("{head}.{}", signature.chars().rev().collect::<String>());
    let checks = inspect::check(&tampered, &jwks, &lab.issuer, "http://localhost:8082");
    assert!(
        checks.iter().any(|c| c.name == "signature" && !c.ok),
        "{checks:#?}"
    );
}

#[tokio::test]
async fn a_second_flow_for_the_same_account_passes_with_its_consent_remembered() {
    let lab = spawn_lab().await;
    let first = flow::run(&config(&lab, "alice", "password123")).await;
    assert!(first.ok, "{:#?}", first.steps);
    let second = flow::run(&config(&lab, "alice", "password123")).await;
    assert!(second.ok, "{:#?}", second.steps);
    let steps: Vec<&str> = second.steps.iter().map(|s| s.step).collect();
    assert!(steps.contains(&"consent (remembered)"), "{steps:?}");
    assert!(!steps.contains(&"consent page"), "{steps:?}");
}

#[tokio::test]
async fn approve_logs_in_approves_and_prints_the_redirect_back_with_the_code() {
    use shared::client::{self, ClientConfig, Pending};

    let lab = spawn_lab().await;
    let config = ClientConfig::demo(&lab.issuer);
    let pending = Pending::generate(shared::ScopeSet::parse("openid read").expect("scopes"));
    let query = shared::form::form_encode(&client::authorization_params(&config, &pending));
    let url = format!("{}/authorize?{query}", lab.issuer);
    let (ok, location, stderr) = oauth_lab(
        ["approve", &url, "--username", "bob"]
            .map(str::to_owned)
            .to_vec(),
    )
    .await;
    assert!(ok, "{stderr}");
    let query = location
        .trim()
        .split_once('?')
        .map_or("", |(_, query)| query);
    client::check_callback(query, Some(&pending), &config).expect("state, iss and a code");
}

/// Runs `oauth-lab` with `args`; its exit status and what it printed on stdout and stderr.
async fn oauth_lab(args: Vec<String>) -> (bool, String, String) {
    let done = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_oauth-lab"))
            .args(args)
            .output()
            .expect("oauth-lab runs")
    })
    .await
    .expect("joined");
    (
        done.status.success(),
        String::from_utf8_lossy(&done.stdout).into_owned(),
        String::from_utf8_lossy(&done.stderr).into_owned(),
    )
}

#[tokio::test]
async fn clients_report_prints_each_finding_with_its_clause_and_strict_fails_on_them() {
    use shared::client::{self, ClientConfig, Pending};

    let lab = spawn_lab().await;
    // The lab's own SPA sends no `resource` (its tokens are for the default resource).
    let config = ClientConfig::demo(&lab.issuer);
    let pending = Pending::generate(shared::ScopeSet::parse("read").expect("scopes"));
    let query = shared::form::form_encode(&client::authorization_params(&config, &pending));
    reqwest::get(format!("{}/authorize?{query}", lab.issuer))
        .await
        .expect("authorize");
    let report = |strict: bool| {
        let mut args = [
            "clients",
            "report",
            "demo-client",
            "--auth-url",
            &lab.issuer,
        ]
        .map(str::to_owned)
        .to_vec();
        if strict {
            args.push("--strict".to_owned());
        }
        oauth_lab(args)
    };
    let (ok, stdout, stderr) = report(false).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("1 finding"), "{stdout}");
    assert!(stdout.contains("no_resource x1"), "{stdout}");
    assert!(stdout.contains("RFC 8707"), "{stdout}");
    let (ok, _, _) = report(true).await;
    assert!(!ok, "--strict fails on a finding");

    let (ok, _, stderr) = oauth_lab(
        ["clients", "report", "nobody", "--auth-url", &lab.issuer]
            .map(str::to_owned)
            .to_vec(),
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("knows no client \"nobody\""), "{stderr}");
}
