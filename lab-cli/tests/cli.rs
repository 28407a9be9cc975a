//! The command-line flow and the token inspector against the real servers.

use lab_cli::flow::{self, FlowConfig};
use lab_cli::inspect;
use shared::demo::ACCOUNTS as DEMO_ACCOUNTS;

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
