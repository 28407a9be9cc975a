//! Browsers at the authorization server (the lab's headless browser, `lab_cli::browser`):
//! log in, approve and collect codes; and a storm of logins (each one a bcrypt check).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use lab_cli::browser::{self, Browser};
use reqwest::StatusCode;
use shared::client::{ClientConfig, Pending};
use shared::{CodeVerifier, ScopeSet, demo};
use tokio::task::JoinSet;

/// alice, the account every benchmark browser logs in as.
pub const ALICE: (&str, &str) = demo::ACCOUNTS[0];

/// An authorization request of the demo client for `read`, whose code `verifier` redeems:
/// every code of a run shares one verifier, so one `wrk` script can redeem them all.
pub fn request_with(verifier: &CodeVerifier) -> Pending {
    Pending::with_verifier(
        CodeVerifier::parse(verifier.secret()).expect("a verifier"),
        ScopeSet::parse("read").expect("a scope"),
    )
}

/// Logs a new browser in as alice at `base` (one bcrypt check); `None` if refused.
async fn logged_in(base: &str) -> Option<Browser> {
    let mut browser = Browser::new(base);
    let pending = request_with(&CodeVerifier::generate());
    let page = browser
        .open("/authorize", &ClientConfig::demo(base), &pending)
        .await
        .ok()?;
    let html = page.text().await.ok()?;
    let login = browser.log_in(&html, ALICE.0, ALICE.1).await.ok()?;
    browser::expect("login", login, StatusCode::SEE_OTHER)
        .await
        .ok()?;
    Some(browser)
}

/// `count` codes for alice, all with `verifier`'s challenge, from `browsers` browsers at
/// once. The browsers log in one after another: parallel logins of one user from one
/// address beyond five are refused before the password is checked (login throttling,
/// `auth-server/src/protocol/throttle.rs`), right password or not.
pub async fn mint_codes(
    base: &str,
    verifier: &CodeVerifier,
    count: usize,
    browsers: usize,
) -> Vec<String> {
    let mut minters = Vec::with_capacity(browsers);
    for _ in 0..browsers {
        let verifier = CodeVerifier::parse(verifier.secret()).expect("a verifier");
        let share = count / browsers;
        let mut browser = logged_in(base).await.expect("alice logs in");
        let config = ClientConfig::demo(base);
        minters.push(async move {
            let mut codes = Vec::with_capacity(share);
            while codes.len() < share {
                let pending = request_with(&verifier);
                if let Ok(code) = browser.code("/authorize", &config, &pending, ALICE).await {
                    codes.push(code.secret().to_owned());
                }
            }
            codes
        });
    }
    gather(minters).await
}

/// Runs the `minters` (one per browser) at once and gathers their codes.
pub async fn gather<F>(minters: Vec<F>) -> Vec<String>
where
    F: Future<Output = Vec<String>> + Send + 'static,
{
    let mut tasks = JoinSet::new();
    for minter in minters {
        tasks.spawn(minter);
    }
    let mut codes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        codes.extend(done.expect("a minting task"));
    }
    codes
}

/// Browsers logging in over and over, until stopped.
pub struct LoginStorm {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    tasks: JoinSet<()>,
}

impl LoginStorm {
    pub fn start(base: &str, browsers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let mut tasks = JoinSet::new();
        for _ in 0..browsers {
            let (stop, done, base) = (Arc::clone(&stop), Arc::clone(&done), base.to_owned());
            tasks.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if logged_in(&base).await.is_some() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        Self { stop, done, tasks }
    }

    /// Stops the storm; returns how many logins succeeded.
    pub async fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        while self.tasks.join_next().await.is_some() {}
        self.done.load(Ordering::Relaxed)
    }
}
