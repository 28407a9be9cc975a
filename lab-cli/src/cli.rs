//! `oauth-lab`'s commands: what each does with its arguments and what it prints.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shared::demo::ACCOUNTS as DEMO_ACCOUNTS;
use shared::jwt::{self, DecodedJwt};

use crate::browser::Browser;
use crate::flow::{self, FlowConfig};
use crate::inspect;
use crate::traces;

/// The OAuth 2.1 lab from the command line.
#[derive(Debug, Parser)]
#[command(name = "oauth-lab", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole flow over HTTP as a browser and the SPA would: discovery, PKCE,
    /// authorize, login, consent, redirect, token exchange, a resource call, refresh, revocation.
    Flow {
        /// The account to log in as (a demo account's password is known).
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        username: Option<String>,
        /// The password (default: the demo account's).
        #[arg(long)]
        password: Option<String>,
        /// Run the flow for every demo account.
        #[arg(long)]
        all: bool,
        /// Scopes to ask for.
        #[arg(long, default_value = "openid profile read write")]
        scope: String,
        /// Write per-step results and timings as JSON to this file.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        #[arg(long, default_value = "http://localhost:8081")]
        auth_url: String,
        #[arg(long, default_value = "http://localhost:8082")]
        resource_url: String,
    },
    /// Be the user for an authorization request another client opened: open the URL, log
    /// in if the server asks, approve if it asks, and print where the browser is sent back
    /// (the client's redirect URI with the code, `state` and `iss`). For scripts and tests
    /// of other clients, such as the redirect handler of an MCP client.
    Approve {
        /// The authorization request, as the client would open it in a browser.
        url: String,
        /// The account to log in as.
        #[arg(long, default_value = "alice")]
        username: String,
        /// The password (default: the demo account's).
        #[arg(long)]
        password: Option<String>,
    },
    /// What the authorization server knows of a client.
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Hash a password with bcrypt (cost 12), for adding a user by hand.
    HashPassword {
        /// The password; without it, it is asked for without echo.
        #[arg(long)]
        password: Option<String>,
    },
    /// Print every decision both servers make, as they make it: each request, then each
    /// check in order with its rule (the servers must run with --lab-traces, as
    /// scripts/lab.sh starts them). For a terminal beside the browser; Ctrl-C stops it.
    Watch {
        #[arg(long, default_value = "http://localhost:8081")]
        auth_url: String,
        #[arg(long, default_value = "http://localhost:8082")]
        resource_url: String,
        /// Stop after this many decisions (default: never).
        #[arg(long)]
        count: Option<usize>,
    },
    /// Decode a JWT, explain its claims, and check it against the lab's JWKS.
    Inspect {
        token: String,
        #[arg(long, default_value = "http://localhost:8081")]
        auth_url: String,
        /// The audience the token must name.
        #[arg(long, default_value = "http://localhost:8082")]
        audience: String,
    },
}

#[derive(Debug, Subcommand)]
enum ClientsCommand {
    /// What the server saw the client do that OAuth 2.1 or the MCP authorization rules
    /// advise against (no PKCE, no resource, a replayed code, ...), with the clause.
    Report {
        /// The client's id (a registered id, or the URL of its metadata document).
        client_id: String,
        #[arg(long, default_value = "http://localhost:8081")]
        auth_url: String,
        /// Exit with failure if there is any finding (for a client's own CI).
        #[arg(long)]
        strict: bool,
    },
}

/// A client's report, as `GET /clients/{id}/report` answers it in JSON.
#[derive(Debug, serde::Deserialize)]
struct Report {
    client_id: String,
    client_name: String,
    findings: Vec<Finding>,
}

#[derive(Debug, serde::Deserialize)]
struct Finding {
    finding: String,
    clause: String,
    count: i64,
    last_seen: i64,
    detail: String,
}

/// `oauth-lab clients report`.
async fn report(client_id: &str, auth_url: &str, strict: bool) -> ExitCode {
    let Ok(mut url) = reqwest::Url::parse(auth_url) else {
        eprintln!("not an absolute URL: {auth_url}");
        return ExitCode::FAILURE;
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(["clients", client_id, "report"]);
    }
    let answer = crate::browser::http_client(reqwest::Client::builder())
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await;
    let response = match answer {
        Ok(response) => response,
        Err(error) => {
            eprintln!("cannot reach the authorization server at {auth_url}: {error}");
            return ExitCode::FAILURE;
        }
    };
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        eprintln!("the authorization server at {auth_url} knows no client {client_id:?}");
        return ExitCode::FAILURE;
    }
    let report: Report = match response.error_for_status() {
        Ok(response) => match response.json().await {
            Ok(report) => report,
            Err(error) => {
                eprintln!("{url} answered something else than a report: {error}");
                return ExitCode::FAILURE;
            }
        },
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "{} ({}): {}",
        report.client_name,
        report.client_id,
        match report.findings.len() {
            0 => "nothing the rules advise against, so far".to_owned(),
            1 => "1 finding".to_owned(),
            n => format!("{n} findings"),
        }
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    for finding in &report.findings {
        let detail = if finding.detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", finding.detail)
        };
        let _ = writeln!(
            out,
            "  {} x{}, last {} s ago{detail}\n      {}",
            finding.finding,
            finding.count,
            (now - finding.last_seen).max(0),
            finding.clause
        );
    }
    if strict && !report.findings.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `oauth-lab approve`: the user's part of an authorization request another client opened.
async fn approve(url: &str, username: &str, password: Option<String>) -> ExitCode {
    let Some(password) = password_of(username, password) else {
        return ExitCode::FAILURE;
    };
    let Ok(parsed) = reqwest::Url::parse(url) else {
        eprintln!("not an absolute URL: {url}");
        return ExitCode::FAILURE;
    };
    let mut browser = Browser::new(&parsed.origin().ascii_serialization());
    let approved = match browser.get(url).await {
        Ok(page) => {
            browser
                .log_in_and_approve(page, (username, &password))
                .await
        }
        Err(error) => Err(error),
    };
    match approved {
        Ok(location) => {
            let _ = writeln!(std::io::stdout(), "{location}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// `password`, or the demo account's when `username` is one; `None` (said on stderr) if
/// neither.
fn password_of(username: &str, password: Option<String>) -> Option<String> {
    let known = DEMO_ACCOUNTS
        .iter()
        .find(|(u, _)| *u == username)
        .map(|(_, p)| (*p).to_owned());
    let password = password.or(known);
    if password.is_none() {
        eprintln!("{username} is not a demo account: pass --password");
    }
    password
}

/// Runs the command `cli` names; the exit code says whether it succeeded.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Flow {
            username,
            password,
            all,
            scope,
            output,
            auth_url,
            resource_url,
        } => {
            let accounts: Vec<(String, String)> = if all {
                DEMO_ACCOUNTS
                    .iter()
                    .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                    .collect()
            } else {
                let username = username.unwrap_or_default();
                let Some(password) = password_of(&username, password) else {
                    return ExitCode::FAILURE;
                };
                vec![(username, password)]
            };
            let mut reports = Vec::new();
            for (username, password) in accounts {
                let config = FlowConfig {
                    auth_url: auth_url.clone(),
                    resource_url: resource_url.clone(),
                    username,
                    password,
                    scope: scope.clone(),
                };
                let report = flow::run(&config).await;
                narrate(&report);
                reports.push(report);
            }
            if let Some(path) = output {
                let json = serde_json::to_string_pretty(&reports).unwrap_or_default();
                if let Err(error) = std::fs::write(&path, json) {
                    eprintln!("cannot write {}: {error}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            if reports.iter().all(|r| r.ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Approve {
            url,
            username,
            password,
        } => approve(&url, &username, password).await,
        Command::Clients {
            command:
                ClientsCommand::Report {
                    client_id,
                    auth_url,
                    strict,
                },
        } => report(&client_id, &auth_url, strict).await,
        Command::HashPassword { password } => {
            let password = match password {
                Some(password) => password,
                None => match rpassword::prompt_password("Password: ") {
                    Ok(password) => password,
                    Err(error) => {
                        eprintln!("cannot read the password: {error}");
                        return ExitCode::FAILURE;
                    }
                },
            };
            match bcrypt::hash(password, 12) {
                Ok(hash) => {
                    let _ = writeln!(std::io::stdout(), "{hash}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("bcrypt failed: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Inspect {
            token,
            auth_url,
            audience,
        } => inspect_token(&token, &auth_url, &audience).await,
        Command::Watch {
            auth_url,
            resource_url,
            count,
        } => watch(&auth_url, &resource_url, count).await,
    }
}

/// `oauth-lab watch`: both servers' live streams, merged, until `count` decisions (or
/// Ctrl-C).
async fn watch(auth_url: &str, resource_url: &str, count: Option<usize>) -> ExitCode {
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let http = crate::browser::http_client(reqwest::Client::builder());
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let each = |trace: shared::trace::Trace| {
        let mut out = std::io::stdout().lock();
        traces::print_trace(&mut out, &trace, colour);
        let _ = out.flush();
        let seen = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        count.is_none_or(|count| seen < count)
    };
    let _ = writeln!(
        std::io::stderr(),
        "watching the decisions of {auth_url} and {resource_url} (Ctrl-C stops)"
    );
    // The first stream to end (enough decisions, or a server that records none) ends both.
    let ended = tokio::select! {
        ended = traces::watch(&http, auth_url, &each) => ended,
        ended = traces::watch(&http, resource_url, &each) => ended,
    };
    match ended {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// Each step of `report`, and under it what the server checked to answer it (when the
/// server records its decisions).
fn narrate(report: &flow::FlowReport) {
    let mut out = std::io::stdout();
    let colour = std::io::IsTerminal::is_terminal(&out);
    let _ = writeln!(out, "\n== {} ==", report.username);
    for step in &report.steps {
        let mark = if step.ok { "ok  " } else { "FAIL" };
        let _ = writeln!(
            out,
            "{mark} {:<36} {:>5} ms  {}",
            step.step, step.millis, step.detail
        );
        traces::print_checks(&mut out, &step.checks, colour);
    }
    if !report.ok {
        let failed = report
            .steps
            .iter()
            .find(|s| !s.ok)
            .map_or("(no step ran)", |s| s.step);
        let _ = writeln!(out, "the flow failed at: {failed}");
    }
}

async fn inspect_token(token: &str, auth_url: &str, audience: &str) -> ExitCode {
    let mut out = std::io::stdout();
    let Some(DecodedJwt { header, claims }) = jwt::decode(token) else {
        eprintln!("not a JWT: expected header.payload.signature in base64url");
        return ExitCode::FAILURE;
    };
    let _ = writeln!(out, "header: {header}");
    if let Some(object) = claims.as_object() {
        for (name, value) in object {
            let _ = writeln!(out, "  {name:<20} {value:<50} {}", jwt::explain_claim(name));
        }
    }
    let issuer = auth_url.trim_end_matches('/');
    let jwks = match crate::browser::http_client(reqwest::Client::builder())
        .get(format!("{issuer}/jwks.json"))
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(error) => {
            eprintln!(
                "cannot read {issuer}/jwks.json ({error}); is the lab running? bash scripts/lab.sh"
            );
            return ExitCode::FAILURE;
        }
    };
    let checks = inspect::check(token, &jwks, issuer, audience);
    for check in &checks {
        let _ = writeln!(
            out,
            "{} {:<10} {}",
            if check.ok { "ok  " } else { "FAIL" },
            check.name,
            check.detail
        );
    }
    if checks.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
