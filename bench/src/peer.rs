//! The peer of `scripts/bench.sh --peer node-oidc-provider`: the reference server
//! (`bench/peer/node-oidc-provider.mjs`, configured as the lab's server is) under the same
//! loads as ours, in the same run, so only the ratio between the two is reported.

use std::fmt::Write as _;
use std::path::Path;

use lab_cli::browser::{self, Browser};
use shared::client::{self, ClientConfig, Pending};
use shared::{CodeVerifier, demo};

use crate::browser::{ALICE, gather, request_with};
use crate::server::Server;
use crate::wrk::{Load, TokenRuns, TokenServer};

/// Where the peer listens.
pub const PEER_PORT: u16 = 18_083;

/// Starts the peer (`node script`) for the resource `resource`, runs the three loads the
/// comparison is about, and stops it.
pub async fn measure(
    script: &Path,
    resource: &str,
    load: &Load,
    code_count: usize,
) -> Result<TokenRuns, Box<dyn std::error::Error>> {
    let base = format!("http://127.0.0.1:{PEER_PORT}");
    // The Node.js pinned beside the peer (bench/peer/package.json), else the machine's.
    let pinned = script.with_file_name("node_modules/.bin/node");
    let node = if pinned.exists() {
        pinned.as_path()
    } else {
        Path::new("node")
    };
    say!("peer: node-oidc-provider on {}", node.display());
    let (_peer, _) = Server::start(
        node,
        &[
            script.display().to_string(),
            PEER_PORT.to_string(),
            resource.to_owned(),
        ],
        &format!("{base}/.well-known/openid-configuration"),
    )
    .await;
    let http = reqwest::Client::new();
    // An opaque token (no resource): what the peer's introspection looks up in its store.
    let opaque: serde_json::Value = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "opaque-client"),
            ("client_secret", "opaque-secret"),
            ("scope", "read"),
        ])
        .send()
        .await?
        .json()
        .await?;
    let opaque = opaque["access_token"]
        .as_str()
        .ok_or("the peer issued no opaque token")?
        .to_owned();

    let verifier = CodeVerifier::generate();
    say!("peer: minting {code_count} authorization codes (alice, PKCE S256, one verifier)");
    let codes = mint_codes(&base, &verifier, code_count, 8).await;
    let server = TokenServer {
        base: &base,
        introspection_path: "/token/introspection",
        introspected: &opaque,
    };
    Ok(load.token_loads("peer", &server, &codes, &verifier)?)
}

/// `count` codes from the peer for alice, all with `verifier`'s challenge, from `browsers`
/// browsers at once.
async fn mint_codes(
    base: &str,
    verifier: &CodeVerifier,
    count: usize,
    browsers: usize,
) -> Vec<String> {
    let config = ClientConfig {
        client_id: demo::CLIENT_ID.to_owned(),
        redirect_uri: demo::REDIRECT_URI.to_owned(),
        issuer: base.to_owned(),
    };
    let minters = (0..browsers)
        .map(|_| {
            let (config, base) = (config.clone(), base.to_owned());
            let verifier = CodeVerifier::parse(verifier.secret()).expect("a verifier");
            let share = count / browsers;
            async move {
                let mut browser = Browser::new(&base);
                let mut codes = Vec::with_capacity(share);
                while codes.len() < share {
                    let pending = request_with(&verifier);
                    let code = code(&mut browser, &config, &pending)
                        .await
                        .expect("the peer answers with a code");
                    codes.push(code);
                }
                codes
            }
        })
        .collect();
    gather(minters).await
}

/// One authorization at the peer, as a browser goes through it: its development pages ask
/// the first time for a login (any password) and a consent, then never again for this
/// browser, which goes straight back to the client with a code.
async fn code(browser: &mut Browser, config: &ClientConfig, pending: &Pending) -> Option<String> {
    // node-oidc-provider refuses `nonce` without the `openid` scope (the lab ignores it);
    // the request is otherwise the lab's own.
    let mut params = client::authorization_params(config, pending);
    params.retain(|(name, _)| *name != "nonce");
    let mut answer = browser.authorize("/auth", &params).await.ok()?;
    for _ in 0..8 {
        let location = browser::location(&answer)?;
        if let Some(query) = location.strip_prefix(&format!("{}?", config.redirect_uri)) {
            return client::check_callback(query, Some(pending), config)
                .ok()
                .map(|code| code.secret().to_owned());
        }
        answer = if location.contains("/interaction/") {
            let page = browser.get(&location).await.ok()?.text().await.ok()?;
            let prompt = browser::hidden(&page, "prompt")?;
            let form = [
                ("prompt", prompt.as_str()),
                ("login", ALICE.0),
                ("password", ALICE.1),
            ];
            browser.post(&location, &form).await.ok()?
        } else {
            browser.get(&location).await.ok()?
        };
    }
    None
}

/// The comparison: for each load, our figure, the peer's, and the ratio.
pub fn table(ours: &TokenRuns, peer: &TokenRuns) -> String {
    let mut out = String::from(
        "| load | ours: requests/s (p99) | node-oidc-provider: requests/s (p99) | non-2xx ours / peer | ours / peer |\n|---|---|---|---|---|\n",
    );
    for (name, ours, theirs) in [
        (
            "/token client credentials (JWT)",
            &ours.credentials,
            &peer.credentials,
        ),
        (
            "/token code + PKCE redemption (JWT, refresh token issued)",
            &ours.redemption,
            &peer.redemption,
        ),
        (
            "introspection (ours: a JWT; the peer: an opaque token)",
            &ours.introspection,
            &peer.introspection,
        ),
    ] {
        let _ = writeln!(
            out,
            "| {name} | {} ({}) | {} ({}) | {} / {} | {:.2} |",
            ours.ok_rate(),
            ours.p99,
            theirs.ok_rate(),
            theirs.p99,
            ours.non_2xx,
            theirs.non_2xx,
            ours.ok_per_sec() / theirs.ok_per_sec()
        );
    }
    out
}
