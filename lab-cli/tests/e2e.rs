//! Browser end-to-end tests: the real Debian Chromium, driven through chromedriver, against
//! the real authorization server, resource server and the SPA's release build, on the lab's
//! own ports (the SPA knows them). Run by scripts/test.sh after the release build:
//! `cargo test --workspace --features lab-cli/e2e --test e2e -- --test-threads=1`.
//! Screenshots of the main steps go to `target/e2e/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Servers, start_servers};
use fantoccini::{Client, ClientBuilder, Locator};

mod common;

const SPA: &str = "http://localhost:8080";
const ISSUER: &str = "http://localhost:8081";

struct Lab {
    browser: Client,
    chromedriver: Child,
    /// The SPA's origin: http or https://localhost:8080.
    spa: String,
    _servers: Servers,
}

impl Drop for Lab {
    /// Ends chromedriver and every Chromium it started: they share its process group.
    /// Killing chromedriver alone left the browsers running (and each one holds an inotify
    /// instance, so after a few test runs `trunk serve` could no longer watch files).
    fn drop(&mut self) {
        let group = format!("-{}", self.chromedriver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.chromedriver.wait();
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_lab() -> Lab {
    start_lab_over(false).await
}

/// The lab, over https with `tls`: both servers with `--tls` and the SPA served with the
/// same localhost certificate. Chromium is told to accept it (`acceptInsecureCerts`), as it
/// does once the authority is imported (docs/https.md); that clients which
/// trust the authority reach the servers is proven by `resource-server/tests/api/tls.rs`
/// and the interop stage.
async fn start_lab_over(tls: bool) -> Lab {
    let scheme = if tls { "https" } else { "http" };
    let spa_origin = format!("{scheme}://localhost:8080");
    for port in [8080, 8081, 8082] {
        assert!(
            TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} is taken: the browser tests need the lab's ports; stop `bash scripts/lab.sh` (or whatever holds it) first"
        );
    }
    let dist = workspace().join("target/dist-release");
    assert!(
        dist.join("index.html").exists(),
        "no SPA release build in {}: run `trunk build --release --dist target/dist-release` (scripts/test.sh does)",
        dist.display()
    );
    let servers = start_servers(tls, "127.0.0.1:8081", "127.0.0.1:8082", &[&spa_origin]).await;
    assert_eq!(
        servers.issuer,
        format!("{scheme}://localhost:8081"),
        "the SPA knows the authorization server on port 8081, over its own scheme"
    );
    assert_eq!(servers.resource, format!("{scheme}://127.0.0.1:8082"));
    // The SPA: its release build, with every unknown path (like /callback) answered by
    // index.html, as trunk serve does.
    let spa =
        axum::Router::new().fallback_service(tower_http::services::ServeDir::new(&dist).fallback(
            tower_http::services::ServeFile::new(dist.join("index.html")),
        ));
    let mut accept_insecure_certs = false;
    if tls {
        let tls = server_kit::tls::LocalTls::load_or_create(&servers.data.path().join("tls"))
            .expect("the servers' localhost certificate");
        let spa_server = server_kit::Server::bind(([127, 0, 0, 1], 8080).into(), "spa")
            .await
            .expect("port 8080")
            .with_tls(&tls);
        tokio::spawn(spa_server.serve(spa));
        accept_insecure_certs = true;
    } else {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:8080")
            .await
            .expect("port 8080");
        tokio::spawn(async move { axum::serve(listener, spa).await });
    }

    let port = free_port();
    let chromedriver = Command::new(
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned()),
    )
    .arg(format!("--port={port}"))
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    // Its own process group, which the browsers it starts join: see `Drop for Lab`.
    .process_group(0)
    .spawn()
    .expect("chromedriver starts (install it with scripts/setup.sh)");
    let webdriver = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        if reqwest::get(format!("{webdriver}/status")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1280,1600"],
        }),
    );
    capabilities.insert(
        "acceptInsecureCerts".to_owned(),
        accept_insecure_certs.into(),
    );
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&webdriver)
        .await
        .expect("a Chromium session");
    Lab {
        browser,
        chromedriver,
        spa: spa_origin,
        _servers: servers,
    }
}

impl Lab {
    async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Waits (up to 20 s) for `css` to appear; navigations in between are retried. If it
    /// never does, the panic says where the browser was and what the page said, and a
    /// screenshot goes to `target/e2e/failed.png`.
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let mut last_error = String::new();
        for _ in 0..100 {
            match self.browser.find(Locator::Css(css)).await {
                Ok(element) => return element,
                Err(error) => last_error = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.screenshot("failed").await;
        let url = self.browser.current_url().await.map(String::from);
        panic!(
            "{css} never appeared at {url:?}: {last_error}\npage: {}",
            self.body_text().await
        );
    }

    /// The page's text; empty while a navigation has no body yet.
    async fn body_text(&self) -> String {
        match self.browser.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's text contains `text`; returns the text. Navigations in
    /// between (a redirect back to the SPA) are waited out.
    async fn wait_for_text(&self, text: &str) -> String {
        for _ in 0..100 {
            let body = self.body_text().await;
            if body.contains(text) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let body = self.body_text().await;
        panic!("the page never showed {text:?}; it shows:\n{body}");
    }

    /// Waits until the page's text no longer contains `text`.
    async fn wait_for_text_gone(&self, text: &str) {
        for _ in 0..100 {
            let body = self.body_text().await;
            if !body.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the page kept showing {text:?}");
    }

    async fn screenshot(&self, name: &str) {
        let dir = workspace().join("target/e2e");
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.browser.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// From the SPA's first page to the authorization server's consent page, logged in.
    async fn log_in(&self, username: &str, password: &str, extra_scope: Option<&str>) {
        self.browser.goto(&self.spa).await.expect("the SPA loads");
        if let Some(scope) = extra_scope {
            self.click(&format!("#scope-{scope}")).await;
        }
        self.click("#start-login").await;
        self.wait_for("#username")
            .await
            .send_keys(username)
            .await
            .expect("username");
        self.wait_for("#password")
            .await
            .send_keys(password)
            .await
            .expect("password");
        self.click("button[type=submit]").await;
        self.wait_for("button[value=approve]").await;
    }
}

#[tokio::test]
async fn alice_logs_in_through_the_spa_approves_and_sees_her_profile_from_the_resource_server() {
    let lab = start_lab().await;
    lab.browser.goto(SPA).await.expect("the SPA loads");
    lab.wait_for("#start-login").await;
    lab.screenshot("1-start").await;
    lab.log_in("alice", "password123", None).await;
    lab.screenshot("2-consent").await;
    lab.click("button[value=approve]").await;
    lab.wait_for("#call-profile").await;
    lab.click("#call-profile").await;
    let page = lab.wait_for_text("Resource server: GET /api/profile").await;
    assert!(page.contains("\"username\":\"alice\""), "{page}");
    lab.screenshot("3-dashboard").await;
    assert_eq!(
        lab.browser.current_url().await.expect("url").path(),
        "/",
        "the code left the address bar"
    );
    // Where the tokens are used, the card says how a revocation reaches the resource server.
    lab.click("#revocation-trade-off summary").await;
    lab.wait_for_text("list of revoked tokens every half second")
        .await;
    lab.scroll_to("#revocation-trade-off").await;
    lab.screenshot("3-revocation-trade-off").await;
}

impl Lab {
    /// Scrolls the page so that `css` is at the top, for a screenshot.
    async fn scroll_to(&self, css: &str) {
        self.wait_for(css).await;
        let script = format!("document.querySelector('{css}').scrollIntoView()");
        self.browser
            .execute(&script, vec![])
            .await
            .expect("a script");
    }

    /// The labels of the arrows of the diagram `id`, in order (SVG text, read by script:
    /// WebDriver's text of an SVG element is not reliable).
    async fn arrows(&self, id: &str) -> Vec<String> {
        let script = format!(
            "return Array.from(document.querySelectorAll('#{id} g.arrow text')).map(t => t.textContent)"
        );
        let labels = self
            .browser
            .execute(&script, vec![])
            .await
            .expect("a script");
        serde_json::from_value(labels).expect("strings")
    }
}

#[tokio::test]
async fn after_a_login_the_diagram_draws_each_exchange_in_order_and_the_token_request_shows_pkce_verified_by_the_server()
 {
    let lab = start_lab().await;
    lab.log_in("alice", "password123", None).await;
    lab.click("button[value=approve]").await;
    lab.wait_for("#call-profile").await;
    lab.wait_for("#flow-diagram g.arrow").await;
    assert_eq!(
        lab.arrows("flow-diagram").await,
        [
            "GET /authorize → 200",
            "POST /login → 303",
            "GET /consent → 200",
            "POST /consent → 302",
            "GET /callback",
            "The client checked the response: state and iss",
            "GET /.well-known/oauth-authorization-server → 200",
            "POST /token → 200",
            "ID token checked: issuer, audience, expiry and nonce",
        ],
        "one arrow per exchange, in the order they happened"
    );
    // The server's checks of the authorization request, found by its state after the
    // redirect back.
    lab.click("#flow-diagram-arrow-0").await;
    lab.wait_for(".selected li.check.passed[data-check=pkce_challenge]")
        .await;
    lab.wait_for(".selected li.check.passed[data-check=redirect_uri_exact]")
        .await;
    lab.screenshot("glass-box-authorize").await;
    lab.click("#flow-diagram-arrow-7").await;
    let pkce = lab
        .wait_for(".selected li.check.passed[data-check=pkce_verifier]")
        .await;
    let said = pkce.text().await.expect("text");
    assert!(said.contains("RFC 7636 §4.6"), "{said}");
    let link = lab
        .wait_for(".selected li[data-check=pkce_verifier] a.rule")
        .await;
    assert_eq!(
        link.attr("href").await.expect("href").as_deref(),
        Some("https://www.rfc-editor.org/rfc/rfc7636#section-4.6")
    );
    lab.wait_for(".selected details.curl").await;
    lab.scroll_to("#flow-diagram").await;
    lab.screenshot("glass-box-diagram").await;
    lab.scroll_to(".selected .checklist").await;
    lab.screenshot("glass-box-checklist").await;
    // The card list says the same in text.
    lab.wait_for("#timeline li.check[data-check=pkce_verifier]")
        .await;
    // On a laptop the whole flow fits without scrolling sideways; on a phone the diagram
    // gives way to the cards.
    let fits =
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth";
    assert_eq!(
        lab.browser.execute(fits, vec![]).await.expect("a script"),
        true
    );
    lab.browser
        .set_window_size(400, 900)
        .await
        .expect("resized");
    let diagram = lab.wait_for("#flow-diagram").await;
    assert!(
        !diagram.is_displayed().await.expect("displayed?"),
        "no diagram at 400 px"
    );
    let cards = lab.wait_for("#timeline").await;
    assert!(cards.is_displayed().await.expect("displayed?"));
    assert_eq!(
        lab.browser.execute(fits, vec![]).await.expect("a script"),
        true
    );
}

#[tokio::test]
async fn over_https_alice_logs_in_through_the_spa_and_sees_her_profile_with_a_host_prefixed_session()
 {
    let lab = start_lab_over(true).await;
    lab.log_in("alice", "password123", None).await;
    let cookies = lab.browser.get_all_cookies().await.expect("cookies");
    assert!(
        cookies
            .iter()
            .any(|c| c.name() == "__Host-lab_session" && c.secure() == Some(true)),
        "{cookies:?}"
    );
    lab.click("button[value=approve]").await;
    lab.wait_for("#call-profile").await;
    lab.click("#call-profile").await;
    let page = lab.wait_for_text("Resource server: GET /api/profile").await;
    assert!(page.contains("\"username\":\"alice\""), "{page}");
    assert!(
        page.contains("https://localhost:8081/token"),
        "the SPA talked to the https issuer: {page}"
    );
    lab.screenshot("tls-dashboard").await;
}

#[tokio::test]
async fn denying_at_consent_makes_the_spa_explain_access_denied() {
    let lab = start_lab().await;
    lab.log_in("carol", "mypass789", None).await;
    lab.click("button[value=deny]").await;
    let page = lab.wait_for_text("access_denied").await;
    assert!(
        page.contains("declined") || page.contains("denied"),
        "{page}"
    );
    assert!(!page.contains("Use the tokens"), "no tokens after a denial");
    lab.screenshot("4-denied").await;
}

#[tokio::test]
async fn a_callback_with_a_tampered_state_is_refused_without_a_token_request() {
    let lab = start_lab().await;
    lab.log_in("alice", "password123", None).await;
    // The attacker's link: a code of their own and a state this tab never sent.
    let forged =
        format!("{SPA}/callback?code=attacker-code&state=forged&iss=http%3A%2F%2Flocalhost%3A8081");
    lab.browser.goto(&forged).await.expect("the callback loads");
    let page = lab.wait_for_text("state does not match").await;
    assert!(page.contains("no token request was made"), "{page}");
    assert!(
        !page.contains("POST http://localhost:8081/token"),
        "the SPA must not call the token endpoint: {page}"
    );
    lab.screenshot("5-forged-state").await;
}

#[tokio::test]
async fn bob_asking_for_admin_gets_a_token_without_it_and_the_admin_call_is_403() {
    let lab = start_lab().await;
    lab.log_in("bob", "secret456", Some("admin")).await;
    lab.click("button[value=approve]").await;
    let granted = lab
        .wait_for("#granted-scope")
        .await
        .text()
        .await
        .expect("text");
    assert!(!granted.contains("admin"), "{granted}");
    lab.click("#call-admin").await;
    let page = lab.wait_for_text("insufficient_scope").await;
    assert!(page.contains("403"), "{page}");
    lab.screenshot("6-bob-403").await;
}

#[tokio::test]
async fn after_a_refresh_and_a_logout_the_old_refresh_token_no_longer_works() {
    let lab = start_lab().await;
    lab.log_in("alice", "password123", None).await;
    lab.click("button[value=approve]").await;
    lab.click("#refresh").await;
    lab.wait_for_text("Rotated").await;
    lab.click(".rotated button").await;
    let old = lab
        .wait_for(".rotated code")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(old.len(), 43, "the revealed old refresh token: {old}");
    lab.click("#logout").await;
    // Logging out revokes first, then forgets the tokens, then leaves for the server's logout.
    lab.wait_for_text_gone("Use the tokens").await;
    let response = reqwest::Client::new()
        .post(format!("{ISSUER}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", old.as_str()),
            ("client_id", "demo-client"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_grant");
}

impl Lab {
    /// Opens the Attacks page and runs `slug`; if the attack needs the victim's
    /// authorization, logs in as alice and approves.
    async fn run_attack(&self, slug: &str, logs_in: bool) {
        self.browser
            .goto(&format!("{SPA}/#attacks"))
            .await
            .expect("the SPA loads");
        self.click(&format!("#run-{slug}")).await;
        if logs_in {
            self.wait_for("#username")
                .await
                .send_keys("alice")
                .await
                .expect("username");
            self.wait_for("#password")
                .await
                .send_keys("password123")
                .await
                .expect("password");
            self.click("button[type=submit]").await;
            self.click("button[value=approve]").await;
        }
    }

    /// Waits until the attack's cards are all in (`expected` verdicts of `class`), and
    /// returns the section's text.
    async fn verdicts(&self, slug: &str, class: &str, expected: usize) -> String {
        let section = format!("#attack-{slug}");
        for _ in 0..100 {
            let found = self
                .browser
                .find_all(Locator::Css(&format!("{section} .verdict.{class}")))
                .await
                .map(|v| v.len())
                .unwrap_or_default();
            if found >= expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let text = self.wait_for(&section).await.text().await.expect("text");
        assert!(
            self.browser
                .find_all(Locator::Css(&format!(
                    "{section} .verdict.not-stopped, {section} .verdict.failed"
                )))
                .await
                .expect("a query")
                .is_empty(),
            "a defence was not seen:\n{text}"
        );
        let found = self
            .browser
            .find_all(Locator::Css(&format!("{section} .verdict.{class}")))
            .await
            .expect("a query")
            .len();
        assert_eq!(found, expected, "{text}");
        text
    }
}

#[tokio::test]
async fn attack_1_a_stolen_code_without_the_verifier_is_refused_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("stolen-code", true).await;
    let text = lab.verdicts("stolen-code", "stopped", 2).await;
    assert_eq!(
        text.matches("Stopped: 400 invalid_grant").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("the code still works for its owner"),
        "{text}"
    );
    // Both of the attacker's redemptions were stopped by the PKCE check, and the page
    // says so in the server's own checklist.
    let refusing = lab
        .browser
        .find_all(Locator::Css(
            "#attack-stolen-code li.attempt li.check.refused",
        ))
        .await
        .expect("a query");
    let mut names = Vec::new();
    for check in refusing {
        names.push(
            check
                .attr("data-check")
                .await
                .expect("attr")
                .unwrap_or_default(),
        );
    }
    assert_eq!(names, ["pkce_verifier", "pkce_verifier"]);
    assert_eq!(
        lab.arrows("stolen-code").await,
        [
            "POST /token → 400",
            "POST /token → 400",
            "POST /token → 200"
        ]
    );
    lab.click("#stolen-code-arrow-1").await;
    lab.wait_for(".selected li.check.refused[data-check=pkce_verifier]")
        .await;
    lab.screenshot("7-attack-stolen-code").await;
}

#[tokio::test]
async fn attack_3_a_forged_callback_state_is_refused_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("callback-csrf", false).await;
    let text = lab.verdicts("callback-csrf", "stopped", 1).await;
    assert!(
        text.contains("refused before any token request: the state does not match"),
        "{text}"
    );
}

#[tokio::test]
async fn attack_5_a_replayed_refresh_token_revokes_the_family_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("refresh-replay", true).await;
    let text = lab.verdicts("refresh-replay", "stopped", 2).await;
    assert_eq!(
        text.matches("Stopped: 400 invalid_grant").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("The victim's newest refresh token: revoked with its whole family"),
        "{text}"
    );
}

#[tokio::test]
async fn attack_8_a_token_with_admin_added_fails_the_signature_check_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("tampered-token", true).await;
    let text = lab.verdicts("tampered-token", "stopped", 1).await;
    assert!(
        text.contains("Stopped: 401 invalid_token: the signature does not verify"),
        "{text}"
    );
    lab.screenshot("8-attack-tampered-token").await;
}

// The other attacks, through the page as well (attack 11 waits for a real expiry, five
// minutes; the resource server's test `an_expired_token_is_refused_as_expired` proves it).

#[tokio::test]
async fn attack_2_plain_and_missing_pkce_challenges_are_refused_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("pkce-downgrade", false).await;
    let text = lab.verdicts("pkce-downgrade", "stopped", 2).await;
    assert_eq!(
        text.matches("Stopped: redirected back with invalid_request")
            .count(),
        2,
        "{text}"
    );
}

#[tokio::test]
async fn attack_4_a_replayed_code_is_refused_and_its_tokens_revoked_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("code-replay", true).await;
    let text = lab.verdicts("code-replay", "stopped", 3).await;
    assert!(text.contains("Stopped: 401 invalid_token"), "{text}");
    assert_eq!(
        text.matches("Stopped: 400 invalid_grant").count(),
        2,
        "{text}"
    );
}

#[tokio::test]
async fn attack_6_forged_redirect_uris_get_an_error_page_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("redirect-uri", false).await;
    let text = lab.verdicts("redirect-uri", "stopped", 3).await;
    assert_eq!(
        text.matches("Stopped: 400, an error page, no redirect")
            .count(),
        3,
        "{text}"
    );
}

#[tokio::test]
async fn attack_7_a_response_from_another_issuer_is_refused_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("mix-up", false).await;
    let text = lab.verdicts("mix-up", "stopped", 1).await;
    assert!(text.contains("mix-up attack"), "{text}");
}

#[tokio::test]
async fn attack_9_alg_none_and_hs256_tokens_are_refused_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("forged-algorithm", true).await;
    let text = lab.verdicts("forged-algorithm", "stopped", 2).await;
    assert!(text.contains("algorithm none is not allowed"), "{text}");
    assert!(text.contains("algorithm HS256 is not allowed"), "{text}");
}

#[tokio::test]
async fn attack_10_a_token_for_another_resource_is_refused_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("wrong-audience", true).await;
    let text = lab.verdicts("wrong-audience", "stopped", 1).await;
    assert!(text.contains("meant for another resource server"), "{text}");
}

#[tokio::test]
async fn attack_12_a_token_in_the_query_string_is_refused_through_the_attacks_page() {
    let lab = start_lab().await;
    lab.run_attack("token-in-url", true).await;
    let text = lab.verdicts("token-in-url", "stopped", 1).await;
    assert!(text.contains("Stopped: 400 invalid_request"), "{text}");
}
