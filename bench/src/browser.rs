//! What a browser does at the authorization server, over plain HTTP: log in, approve, and
//! collect codes; and a storm of logins (each one a bcrypt check).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use shared::CodeVerifier;
use tokio::task::JoinSet;

const REDIRECT_URI: &str = "http://localhost:8080/callback";

/// One browser: the session cookie, no redirects followed.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            base: base.to_owned(),
            cookie: None,
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = match &self.cookie {
            Some(cookie) => request.header("Cookie", cookie),
            None => request,
        };
        let response = request
            .send()
            .await
            .expect("the authorization server answers");
        if let Some(pair) = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
        {
            self.cookie = Some(pair.to_owned());
        }
        response
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body = form_encode(form);
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    async fn authorize(&mut self, verifier: &CodeVerifier) -> reqwest::Response {
        let query = form_encode(&[
            ("response_type", "code"),
            ("client_id", "demo-client"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "read"),
            ("state", "bench"),
            ("code_challenge", verifier.challenge().as_str()),
            ("code_challenge_method", "S256"),
        ]);
        self.get(&format!("/authorize?{query}")).await
    }

    /// Logs in as alice (one bcrypt check); true if the server accepted.
    pub async fn log_in(&mut self, verifier: &CodeVerifier) -> bool {
        let page = self
            .authorize(verifier)
            .await
            .text()
            .await
            .unwrap_or_default();
        let login = self
            .post(
                "/login",
                &[
                    ("request_id", &hidden(&page, "request_id")),
                    ("csrf_token", &hidden(&page, "csrf_token")),
                    ("username", "alice"),
                    ("password", "password123"),
                ],
            )
            .await;
        login.status() == reqwest::StatusCode::SEE_OTHER
    }

    /// For a logged-in browser: authorize, approve, return the code.
    pub async fn approve(&mut self, verifier: &CodeVerifier) -> Option<String> {
        let consent = self.authorize(verifier).await;
        let location = consent.headers().get("location")?.to_str().ok()?.to_owned();
        let page = self.get(&location).await.text().await.ok()?;
        let back = self
            .post(
                "/consent",
                &[
                    ("request_id", &hidden(&page, "request_id")),
                    ("csrf_token", &hidden(&page, "csrf_token")),
                    ("decision", "approve"),
                ],
            )
            .await;
        let location = back.headers().get("location")?.to_str().ok()?;
        let query = location.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("code="))
            .map(str::to_owned)
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        for byte in value.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(value, _)| value.to_owned())
        .unwrap_or_default()
}

/// `count` codes for alice, all with `verifier`'s challenge, from `browsers` browsers at
/// once. The browsers log in one after another: parallel logins of one user from one
/// address beyond five are refused before the password is checked (login throttling,
/// `auth-server/src/throttle.rs`), right password or not.
pub async fn mint_codes(
    base: &str,
    verifier: &CodeVerifier,
    count: usize,
    browsers: usize,
) -> Vec<String> {
    let mut tasks = JoinSet::new();
    for _ in 0..browsers {
        let verifier = CodeVerifier::parse(verifier.secret()).expect("a verifier");
        let share = count / browsers;
        let mut browser = Browser::new(base);
        assert!(browser.log_in(&verifier).await, "alice logs in");
        tasks.spawn(async move {
            let mut codes = Vec::with_capacity(share);
            while codes.len() < share {
                if let Some(code) = browser.approve(&verifier).await {
                    codes.push(code);
                }
            }
            codes
        });
    }
    let mut codes = Vec::with_capacity(count);
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
                    if Browser::new(&base).log_in(&CodeVerifier::generate()).await {
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
