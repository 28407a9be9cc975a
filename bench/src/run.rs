//! One run of the benchmark: the command line, the servers started, the loads in order,
//! and the report.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use shared::CodeVerifier;

use crate::database::{access_token_rows, seed_rows};
use crate::requests::CLIENT_CREDENTIALS;
use crate::server::{Server, release_dir};
use crate::wrk::{Load, Run, TokenServer};
use crate::{browser, peer};

#[derive(Debug, Parser)]
#[command(name = "lab-bench")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Mode>,
    /// Seconds each load runs.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Open connections per load.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Also issue a million tokens and measure the authorization server's memory after.
    #[arg(long)]
    million: bool,
    /// The authorization server's database, new and empty (default: a new SQLite file); a
    /// `postgres://` URL measures it on PostgreSQL (`scripts/bench.sh --postgres`).
    #[arg(long)]
    database_url: Option<String>,
    /// Also measure node-oidc-provider, started with `node` from this script
    /// (`bench/peer/node-oidc-provider.mjs`, installed by `scripts/bench.sh --peer
    /// node-oidc-provider`), under the same loads, and print the ratios.
    #[arg(long)]
    peer: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Mode {
    /// The baseline: a bare axum handler answering a constant (run by the benchmark).
    Baseline {
        #[arg(long)]
        port: u16,
    },
}

const AUTH_PORT: u16 = 18_081;
const RESOURCE_PORT: u16 = 18_082;
const BASELINE_PORT: u16 = 18_090;

fn resource_args(database: &str) -> Vec<String> {
    [
        "--addr",
        &format!("127.0.0.1:{RESOURCE_PORT}"),
        "--issuer",
        &format!("http://127.0.0.1:{AUTH_PORT}"),
        "--audience",
        &format!("http://127.0.0.1:{RESOURCE_PORT}"),
        "--database-url",
        database,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn auth_args(database: &str) -> Vec<String> {
    [
        "--addr",
        &format!("127.0.0.1:{AUTH_PORT}"),
        "--issuer",
        &format!("http://127.0.0.1:{AUTH_PORT}"),
        "--default-resource",
        &format!("http://127.0.0.1:{RESOURCE_PORT}"),
        "--database-url",
        database,
    ]
    .map(str::to_owned)
    .to_vec()
}

#[allow(
    clippy::too_many_lines,
    reason = "one run, in the order the figures are printed"
)]
pub async fn bench(cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut report = String::new();
    let bin = release_dir();
    let data = tempfile::tempdir()?;
    let database = cli
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/auth.db", data.path().display()));
    say!("database: {}", server_kit::db::redacted(&database));
    let auth_url = format!("http://127.0.0.1:{AUTH_PORT}");
    let resource_url = format!("http://127.0.0.1:{RESOURCE_PORT}");
    let load = Load {
        duration: Duration::from_secs(cli.duration),
        connections: cli.connections,
        dir: data.path().to_path_buf(),
    };

    say!("starting the authorization server (new database, then the same one 5 times)");
    let (first, fresh) = Server::start(
        &bin.join("auth-server"),
        &auth_args(&database),
        &format!("{auth_url}/health"),
    )
    .await;
    drop(first);
    let mut restarts = Vec::new();
    for _ in 0..5 {
        let (server, took) = Server::start(
            &bin.join("auth-server"),
            &auth_args(&database),
            &format!("{auth_url}/health"),
        )
        .await;
        restarts.push(took);
        drop(server);
    }
    restarts.sort();
    let (auth, _) = Server::start(
        &bin.join("auth-server"),
        &auth_args(&database),
        &format!("{auth_url}/health"),
    )
    .await;
    let resource_database = format!("sqlite://{}/resource.db", data.path().display());
    let (resource, resource_start) = Server::start(
        &bin.join("resource-server"),
        &resource_args(&resource_database),
        &format!("{resource_url}/health"),
    )
    .await;
    let (_baseline, _) = Server::start(
        &std::env::current_exe()?,
        &[
            "baseline".to_owned(),
            "--port".to_owned(),
            BASELINE_PORT.to_string(),
        ],
        &format!("http://127.0.0.1:{BASELINE_PORT}/"),
    )
    .await;
    let idle = (auth.rss_mib(), resource.rss_mib());

    let http = reqwest::Client::new();
    let token = client_credentials_token(&http, &auth_url).await;
    let verifier = CodeVerifier::generate();
    let code_count = usize::try_from(cli.duration * 8_000)?;
    say!("minting {code_count} authorization codes (alice, PKCE S256, one verifier)");
    let minted = Instant::now();
    let codes = browser::mint_codes(&auth_url, &verifier, code_count, 8).await;
    let mint_rate = f64::from(u32::try_from(codes.len())?) / minted.elapsed().as_secs_f64();

    let mut runs: Vec<(&str, Run)> = Vec::new();
    say!("baseline: bare axum");
    let baseline = load.get(&format!("http://127.0.0.1:{BASELINE_PORT}/"), None)?;
    say!("resource server: GET /api/profile with a JWT");
    let profile = load.get(&format!("{resource_url}/api/profile"), Some(&token))?;
    let ours = load.token_loads(
        "authorization server",
        &TokenServer {
            base: &auth_url,
            introspection_path: "/introspect",
            introspected: &token,
        },
        &codes,
        &verifier,
    )?;
    // Latency, not throughput: 4 connections, without and then with 5 browsers logging in
    // over and over (each login one bcrypt check, cost 12; five, the most parallel logins
    // of one user from one address that the login throttle lets reach bcrypt).
    let light = Load {
        connections: 4,
        ..load.clone()
    };
    say!("authorization server: client credentials, 4 connections, quiet");
    let quiet = light.post(&format!("{auth_url}/token"), CLIENT_CREDENTIALS, None)?;
    say!("authorization server: client credentials, 4 connections, during a storm of logins");
    let storm = browser::LoginStorm::start(&auth_url, 5);
    let during_storm = light.post(&format!("{auth_url}/token"), CLIENT_CREDENTIALS, None)?;
    let logins = storm.stop().await;
    runs.extend([
        ("bare axum handler (baseline)", baseline.clone()),
        (
            "resource server GET /api/profile (JWT checked)",
            profile.clone(),
        ),
        ("/token client credentials", ours.credentials.clone()),
        (
            "/token code + PKCE redemption (refresh token issued)",
            ours.redemption.clone(),
        ),
        ("/introspect", ours.introspection.clone()),
        ("/token client credentials, 4 connections", quiet),
        (
            "/token client credentials, 4 connections, during the login storm",
            during_storm,
        ),
    ]);

    let rows_before = access_token_rows(&database).await?;
    say!("adding 1,000,000 rows to access_tokens, then client credentials again");
    seed_rows(&database, 1_000_000).await?;
    let rows_after = access_token_rows(&database).await?;
    let with_million_rows = load.post(&format!("{auth_url}/token"), CLIENT_CREDENTIALS, None)?;

    let _ = writeln!(
        report,
        "{} connections unless said otherwise; {} s per load.\n",
        cli.connections, cli.duration
    );
    let _ = writeln!(report, "| load | requests/s | p50 | p99 | non-2xx |");
    let _ = writeln!(report, "|---|---|---|---|---|");
    for (name, run) in &runs {
        let _ = writeln!(
            report,
            "| {name} | {} | {} | {} | {} |",
            run.ok_rate(),
            run.p50,
            run.p99,
            run.non_2xx
        );
    }
    let _ = writeln!(
        report,
        "| /token client credentials with {rows_after} access-token rows (was {rows_before}) | {} | {} | {} | {} |",
        with_million_rows.ok_rate(),
        with_million_rows.p50,
        with_million_rows.p99,
        with_million_rows.non_2xx
    );
    report.push('\n');
    let _ = writeln!(
        report,
        "- resource server / baseline: {:.2}",
        profile.ok_per_sec() / baseline.ok_per_sec()
    );
    let _ = writeln!(
        report,
        "- logins completed during the storm: {logins} in {} s",
        cli.duration
    );
    let _ = writeln!(
        report,
        "- start to healthy: auth-server {} ms on a new database, {} ms median of 5 on the existing one ({}..{} ms); resource-server {} ms (discovery and JWKS included)",
        fresh.as_millis(),
        restarts[2].as_millis(),
        restarts[0].as_millis(),
        restarts[4].as_millis(),
        resource_start.as_millis()
    );
    let _ = writeln!(
        report,
        "- idle RSS: auth-server {:.1} MiB, resource-server {:.1} MiB; after the loads: auth-server {:.1} MiB, resource-server {:.1} MiB",
        idle.0,
        idle.1,
        auth.rss_mib(),
        resource.rss_mib()
    );
    let _ = writeln!(
        report,
        "- codes minted at {mint_rate:.0}/s over HTTP (authorize + consent)"
    );

    if let Some(script) = &cli.peer {
        let theirs = peer::measure(script, &resource_url, &load, code_count).await?;
        let _ = writeln!(
            report,
            "\nSide by side with node-oidc-provider, same machine, same run, same loads:\n\n{}",
            peer::table(&ours, &theirs)
        );
    }

    if cli.million {
        say!("issuing client-credentials tokens until 1,000,000 have been issued");
        let issued = issue_until(&load, &auth_url, 1_000_000).await?;
        let _ = writeln!(
            report,
            "- after {issued} tokens issued over HTTP: auth-server RSS {:.1} MiB",
            auth.rss_mib()
        );
    }
    drop((auth, resource));
    let traces = traces_cost(&load, &database, &resource_database, code_count).await?;
    let _ = write!(report, "\n{traces}");
    std::io::stdout().write_all(report.as_bytes())?;
    Ok(())
}

/// What recording decisions (`--lab-traces`) costs: both servers started again on the same
/// databases without it, then with it, each time under the same loads (resource calls,
/// client credentials, code redemption, introspection); and what the full ring weighs.
async fn traces_cost(
    load: &Load,
    database: &str,
    resource_database: &str,
    code_count: usize,
) -> Result<String, Box<dyn std::error::Error>> {
    let bin = release_dir();
    let auth_url = format!("http://127.0.0.1:{AUTH_PORT}");
    let resource_url = format!("http://127.0.0.1:{RESOURCE_PORT}");
    let http = reqwest::Client::new();
    let mut measured = Vec::new();
    let mut ring = String::new();
    for traced in [false, true] {
        let flag = |mut args: Vec<String>| {
            if traced {
                args.push("--lab-traces".to_owned());
            }
            args
        };
        let which = if traced { "on" } else { "off" };
        say!("decision traces {which}: starting both servers again");
        let (auth, _) = Server::start(
            &bin.join("auth-server"),
            &flag(auth_args(database)),
            &format!("{auth_url}/health"),
        )
        .await;
        let (resource, _) = Server::start(
            &bin.join("resource-server"),
            &flag(resource_args(resource_database)),
            &format!("{resource_url}/health"),
        )
        .await;
        let token = client_credentials_token(&http, &auth_url).await;
        let verifier = CodeVerifier::generate();
        say!("decision traces {which}: minting {code_count} codes");
        let codes = browser::mint_codes(&auth_url, &verifier, code_count, 8).await;
        // Each load with the CPU time it cost the server that answered it.
        let costed = |server: &Server, run: &dyn Fn() -> Result<Run, String>| {
            let before = server.cpu_seconds();
            run().map(|run| {
                let cpu = server.cpu_seconds() - before;
                (run, cpu)
            })
        };
        say!("decision traces {which}: resource server GET /api/profile");
        let profile = costed(&resource, &|| {
            load.get(&format!("{resource_url}/api/profile"), Some(&token))
        })?;
        let tokens = load.token_loads_measured(
            &format!("decision traces {which}"),
            &TokenServer {
                base: &auth_url,
                introspection_path: "/introspect",
                introspected: &token,
            },
            &codes,
            &verifier,
            |run| costed(&auth, run),
        )?;
        if traced {
            let kept = http
                .get(format!("{auth_url}/lab/traces"))
                .send()
                .await?
                .text()
                .await?;
            let count = serde_json::from_str::<Vec<serde_json::Value>>(&kept)?.len();
            let _ = writeln!(
                ring,
                "- the authorization server's ring after the loads: {count} traces, {} KiB as JSON",
                kept.len() / 1024
            );
        }
        let _ = writeln!(
            ring,
            "- RSS after these loads with traces {which}: auth-server {:.1} MiB, resource-server {:.1} MiB",
            auth.rss_mib(),
            resource.rss_mib()
        );
        measured.push([
            profile,
            tokens.credentials,
            tokens.redemption,
            tokens.introspection,
        ]);
    }
    let mut report = traces_table(&measured);
    report.push_str(&ring);
    Ok(report)
}

/// The table of [`traces_cost`]: each load without and with traces, its throughput and
/// the CPU time it cost the server per request.
fn traces_table(measured: &[[(Run, f64); 4]]) -> String {
    let mut report = String::from(
        "Decision traces (`--lab-traces`), the same loads with the flag off and on (new processes, same databases); requests/s, and the server's CPU time per request (user + system, from /proc: what the load cost it, whatever else ran):\n\n| load | off | on | on / off | CPU per request off | on | on / off |\n|---|---|---|---|---|---|---|\n",
    );
    let names = [
        "resource server GET /api/profile",
        "/token client credentials",
        "/token code + PKCE redemption",
        "/introspect",
    ];
    for (index, name) in names.iter().enumerate() {
        let ((off, off_cpu), (on, on_cpu)) = (&measured[0][index], &measured[1][index]);
        let (off_micros, on_micros) = (
            off.cpu_micros_per_request(*off_cpu),
            on.cpu_micros_per_request(*on_cpu),
        );
        let _ = writeln!(
            report,
            "| {name} | {} | {} | {:.3} | {off_micros:.1} µs | {on_micros:.1} µs | {:.3} |",
            off.ok_rate(),
            on.ok_rate(),
            on.ok_per_sec() / off.ok_per_sec(),
            on_micros / off_micros
        );
    }
    report.push('\n');
    report
}

async fn client_credentials_token(http: &reqwest::Client, auth_url: &str) -> String {
    let response: serde_json::Value = http
        .post(format!("{auth_url}/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(CLIENT_CREDENTIALS)
        .send()
        .await
        .expect("the token endpoint answers")
        .json()
        .await
        .expect("JSON");
    response["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// Runs client-credentials loads until the server's `tokens_issued_total` reaches `target`.
async fn issue_until(
    load: &Load,
    auth_url: &str,
    target: u64,
) -> Result<u64, Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();
    loop {
        let metrics = http
            .get(format!("{auth_url}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let issued: u64 = metrics
            .lines()
            .filter(|line| line.starts_with("tokens_issued_total"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        if issued >= target {
            return Ok(issued);
        }
        say!("  {issued} issued");
        load.post(&format!("{auth_url}/token"), CLIENT_CREDENTIALS, None)?;
    }
}
