//! Killed with SIGKILL in the middle of a flood, the real `auth-server` binary restarts
//! having lost nothing it answered for: every token it answered is valid, every code and
//! refresh token it spent stays spent. (Its writes are committed before the answer leaves:
//! `server-kit/src/db/owner.rs` on SQLite.)

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{CLIENT_ID, REDIRECT_URI, TestApp, database_url, error_of};
use crate::process::{free_port, start};

/// The binary started on a new database, and `count` codes for alice, each with its
/// verifier.
async fn started_with_codes(
    count: usize,
) -> (
    u16,
    std::process::Child,
    TestApp,
    Vec<(String, CodeVerifier)>,
) {
    let port = free_port();
    let data = tempfile::tempdir().expect("a temporary directory");
    let database = database_url(&data).await;
    let server = start(port, &database, &[]).await;
    let app = TestApp::running_at(port, database, data);
    let mut browser = app.logged_in("alice", "password123").await;
    let mut codes = Vec::new();
    for _ in 0..count {
        let verifier = CodeVerifier::generate();
        codes.push((browser.approve(&verifier, "read").await, verifier));
    }
    drop(browser);
    (port, server, app, codes)
}

/// What the flood's clients got: per answer, the code it redeemed with its verifier (if
/// any) and the access token.
type Answered = Arc<Mutex<Vec<(Option<(String, String)>, String)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_kill_9_mid_flood_every_token_answered_is_still_valid_and_every_used_code_still_used()
 {
    let (port, mut server, app, codes) = started_with_codes(300).await;

    // The flood: redemptions and client-credentials requests from 16 clients, each
    // answer's tokens (and the code it used) written down.
    let answered: Answered = Arc::default();
    let codes = Arc::new(Mutex::new(codes));
    let mut clients = Vec::new();
    for client in 0..16 {
        let (answered, codes, http, token_url) = (
            Arc::clone(&answered),
            Arc::clone(&codes),
            app.http.clone(),
            app.url("/token"),
        );
        clients.push(tokio::spawn(async move {
            loop {
                let next = if client % 2 == 0 {
                    codes.lock().expect("lock").pop()
                } else {
                    None
                };
                let form: Vec<(&str, String)> = match &next {
                    Some((code, verifier)) => vec![
                        ("grant_type", "authorization_code".to_owned()),
                        ("code", code.clone()),
                        ("redirect_uri", REDIRECT_URI.to_owned()),
                        ("client_id", CLIENT_ID.to_owned()),
                        ("code_verifier", verifier.secret().to_owned()),
                    ],
                    None => vec![
                        ("grant_type", "client_credentials".to_owned()),
                        ("client_id", "service-client".to_owned()),
                        ("client_secret", "service-secret".to_owned()),
                    ],
                };
                let Ok(response) = http.post(&token_url).form(&form).send().await else {
                    return; // the server is gone
                };
                if response.status() != StatusCode::OK {
                    continue;
                }
                let Ok(tokens) = response.json::<TokenResponse>().await else {
                    return;
                };
                answered.lock().expect("lock").push((
                    next.map(|(code, verifier)| (code, verifier.secret().to_owned())),
                    tokens.access_token.secret().to_owned(),
                ));
            }
        }));
    }
    // Kill once the flood is well under way.
    let started = Instant::now();
    while answered.lock().expect("lock").len() < 400 && started.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("the server is gone");
    for client in clients {
        let _ = client.await;
    }
    let answered = answered.lock().expect("lock").clone();
    let used: Vec<&(String, String)> = answered
        .iter()
        .filter_map(|(code, _)| code.as_ref())
        .collect();
    assert!(
        answered.len() >= 400,
        "{} answers before the kill",
        answered.len()
    );
    assert!(!used.is_empty(), "some codes were redeemed before the kill");

    let mut restarted = start(port, &app.database_url, &[]).await;
    for (_, token) in &answered {
        assert_eq!(
            app.introspect(token).await["active"],
            true,
            "a token answered before the kill is still active"
        );
    }
    for (code, verifier) in &used {
        // With its own verifier: a code that were not used would be redeemed.
        let (status, error) = error_of(app.redeem(code, verifier).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "{code} stays used"
        );
    }
    restarted.kill().expect("stopped");
    let _ = restarted.wait();
}

/// One client's refresh chain: the code it began with, every refresh token in order, and
/// whether the last one is certain (its refresh was answered and no request used it since).
#[derive(Debug, Clone, Default)]
struct Chain {
    code: String,
    verifier: String,
    refresh_tokens: Vec<String>,
    finished: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_kill_9_mid_flood_of_redemptions_and_refreshes_every_answered_refresh_token_works_and_every_spent_one_stays_spent()
 {
    let (port, mut server, app, codes) = started_with_codes(200).await;

    // The flood: 16 clients redeeming codes and refreshing down their chains.
    let access_tokens: Arc<Mutex<Vec<String>>> = Arc::default();
    let chains: Arc<Mutex<Vec<Chain>>> = Arc::default();
    let codes = Arc::new(Mutex::new(codes));
    let mut clients = Vec::new();
    for client in 0..16_usize {
        clients.push(tokio::spawn(refresh_chains(
            client,
            (app.http.clone(), app.url("/token")),
            Arc::clone(&codes),
            Arc::clone(&access_tokens),
            Arc::clone(&chains),
        )));
    }
    let started = Instant::now();
    while access_tokens.lock().expect("lock").len() < 300
        && started.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("the server is gone");
    for client in clients {
        client
            .await
            .expect("no client saw anything but 200 before the kill");
    }
    let access_tokens = access_tokens.lock().expect("lock").clone();
    let chains = chains.lock().expect("lock").clone();
    let finished = chains.iter().filter(|chain| chain.finished).count();
    assert!(
        access_tokens.len() >= 300,
        "{} answers before the kill",
        access_tokens.len()
    );
    assert!(finished >= 10, "{finished} chains finished before the kill");

    let mut restarted = start(port, &app.database_url, &[]).await;
    for token in &access_tokens {
        assert_eq!(
            app.introspect(token).await["active"],
            true,
            "an access token answered before the kill is still active"
        );
    }
    for chain in chains.iter().filter(|chain| chain.finished) {
        let (spent, last) = chain
            .refresh_tokens
            .split_last()
            .map(|(last, spent)| (spent, last))
            .expect("a finished chain has a refresh token");
        // The last token of a finished chain was answered and never used: it works.
        // (Refreshing it first: using a spent one revokes the whole family.)
        let response = app.refresh(last).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the last refresh token works"
        );
        for token in spent {
            let (status, error) = error_of(app.refresh(token).await).await;
            assert_eq!(
                (status, error.as_str()),
                (StatusCode::BAD_REQUEST, "invalid_grant"),
                "a rotated refresh token stays spent"
            );
        }
    }
    // Last (a replayed code revokes its grant): codes whose redemption was answered stay
    // used (tried with their own verifier: an unused code would be redeemed).
    for chain in chains
        .iter()
        .filter(|chain| !chain.refresh_tokens.is_empty())
    {
        let (status, error) = error_of(app.redeem(&chain.code, &chain.verifier).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "a redeemed code stays used"
        );
    }
    restarted.kill().expect("stopped");
    let _ = restarted.wait();
}

/// One client of the flood: takes a code, redeems it and refreshes its way down the chain
/// one to four times, then starts over with the next code, until the codes run out or the
/// server is gone. Writes down every access token and every chain.
async fn refresh_chains(
    client: usize,
    (http, token_url): (reqwest::Client, String),
    codes: Arc<Mutex<Vec<(String, CodeVerifier)>>>,
    access_tokens: Arc<Mutex<Vec<String>>>,
    chains: Arc<Mutex<Vec<Chain>>>,
) {
    for round in 0.. {
        let Some((code, verifier)) = codes.lock().expect("lock").pop() else {
            return;
        };
        let index = {
            let mut chains = chains.lock().expect("lock");
            chains.push(Chain {
                code: code.clone(),
                verifier: verifier.secret().to_owned(),
                ..Chain::default()
            });
            chains.len() - 1
        };
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", REDIRECT_URI.to_owned()),
            ("client_id", CLIENT_ID.to_owned()),
            ("code_verifier", verifier.secret().to_owned()),
        ];
        for _ in 0..=(client + round) % 4 + 1 {
            let Ok(response) = http.post(&token_url).form(&form).send().await else {
                return; // the server is gone
            };
            assert_eq!(response.status(), StatusCode::OK, "the flood is all valid");
            let Ok(tokens) = response.json::<TokenResponse>().await else {
                return;
            };
            let refresh = tokens.refresh_token.expect("a refresh token");
            access_tokens
                .lock()
                .expect("lock")
                .push(tokens.access_token.secret().to_owned());
            chains.lock().expect("lock")[index]
                .refresh_tokens
                .push(refresh.secret().to_owned());
            form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", refresh.secret().to_owned()),
                ("client_id", CLIENT_ID.to_owned()),
            ];
        }
        chains.lock().expect("lock")[index].finished = true;
    }
}
