//! Throttling that holds under concurrency and cannot be turned against a user: failed
//! logins count per (username, address), or per (username, browser) in a browser the user
//! logged in with before, and per browser, taken before bcrypt; the password queue is
//! bounded; sign-ups are limited per address. Addresses come from `X-Forwarded-For` only
//! behind a `--trusted-proxy`. The three rules of login throttling are here together:
//! parallel guesses are counted one by one (F5), failures from elsewhere lock nobody out
//! (F6), and on the lab's own machine, where every client is 127.0.0.1, failures for other
//! usernames or in a user's name lock no user with the right password out (S3-7).

use futures::future::join_all;
use reqwest::StatusCode;
use shared::CodeVerifier;

use crate::helpers::{TestApp, hidden, spawn_app, spawn_app_with};

/// A server behind a trusted proxy on 127.0.0.1, so tests can speak from many addresses.
async fn behind_proxy() -> TestApp {
    spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")]).await
}

#[tokio::test]
async fn thirty_parallel_wrong_guesses_get_at_most_five_password_checks_and_the_rest_429() {
    let app = behind_proxy().await;
    let (browser, html) = app.at_login_page().await;
    let (request_id, csrf) = (hidden(&html, "request_id"), hidden(&html, "csrf_token"));
    let guesses = (0..30).map(|i| {
        let password = format!("wrong-{i}");
        let request = browser.post_request_from(
            "198.51.100.7",
            "/login",
            &[
                ("request_id", &request_id),
                ("csrf_token", &csrf),
                ("username", "carol"),
                ("password", &password),
            ],
        );
        async move { request.send().await.expect("sent").status() }
    });
    let statuses = join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= 5, "at most five reach bcrypt: {statuses:?}");
    assert_eq!(checked + throttled, 30, "{statuses:?}");
}

#[tokio::test]
async fn failed_logins_from_one_address_do_not_lock_the_user_out_from_another() {
    let app = behind_proxy().await;
    let (mut attacker, html) = app.at_login_page().await;
    for _ in 0..6 {
        attacker
            .log_in_from("203.0.113.66", &html, "carol", "wrong-password")
            .await;
    }
    assert_eq!(
        attacker
            .log_in_from("203.0.113.66", &html, "carol", "mypass789")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address is throttled, even with the right password"
    );
    let (mut carol, html) = app.at_login_page().await;
    assert_eq!(
        carol
            .log_in_from("192.0.2.10", &html, "carol", "mypass789")
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "carol, from her own address, logs in"
    );
}

#[tokio::test]
async fn one_address_guessing_over_many_usernames_is_throttled_after_ten_failures() {
    let app = behind_proxy().await;
    let (mut browser, html) = app.at_login_page().await;
    for n in 0..10 {
        let response = browser
            .log_in_from("203.0.113.5", &html, &format!("user{n}"), "password1")
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let response = browser
        .log_in_from("203.0.113.5", &html, "bob", "secret456")
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn failed_logins_for_made_up_usernames_from_this_machine_lock_no_user_with_the_right_password_out()
 {
    // No proxy: every browser is 127.0.0.1, as on the lab's own machine.
    let app = spawn_app_with(|_| {}).await;
    for n in 0..12 {
        let (mut attacker, html) = app.at_login_page().await;
        let guess = attacker.log_in(&html, &format!("nobody{n}"), "x").await;
        assert_eq!(guess.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    for (username, password) in [("alice", "password123"), ("bob", "secret456")] {
        let (mut user, html) = app.at_login_page().await;
        assert_eq!(
            user.log_in(&html, username, password).await.status(),
            StatusCode::SEE_OTHER,
            "{username} logs in"
        );
    }
}

#[tokio::test]
async fn failed_logins_in_a_users_name_from_this_machine_do_not_lock_them_out_of_a_browser_they_used_before()
 {
    let app = spawn_app_with(|_| {}).await;
    let mut carol = app.logged_in("carol", "mypass789").await;
    let (mut attacker, html) = app.at_login_page().await;
    for _ in 0..6 {
        attacker.log_in(&html, "carol", "wrong-password").await;
    }
    assert_eq!(
        attacker.log_in(&html, "carol", "mypass789").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is throttled, even with the right password"
    );
    let page = carol
        .authorize(&CodeVerifier::generate(), &[("prompt", Some("login"))])
        .await;
    let html = page.text().await.expect("the login page");
    assert_eq!(
        carol.log_in(&html, "carol", "mypass789").await.status(),
        StatusCode::SEE_OTHER,
        "carol logs in again in the browser she used before"
    );
}

#[tokio::test]
async fn a_known_browser_is_throttled_too_when_it_guesses() {
    let app = spawn_app_with(|_| {}).await;
    let mut carol = app.logged_in("carol", "mypass789").await;
    let verifier = CodeVerifier::generate();
    let html = carol
        .authorize(&verifier, &[("prompt", Some("login"))])
        .await
        .text()
        .await
        .expect("the login page");
    for _ in 0..5 {
        carol.log_in(&html, "carol", "wrong-password").await;
    }
    assert_eq!(
        carol.log_in(&html, "carol", "mypass789").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Five failures for carol, each claiming another address in `X-Forwarded-For`, then her
/// right password claiming yet another: refused, as all counted for the real peer.
async fn assert_claimed_addresses_count_for_the_real_one(app: &TestApp) {
    let (mut browser, html) = app.at_login_page().await;
    for n in 0..5 {
        browser
            .log_in_from(&format!("192.0.2.{n}"), &html, "carol", "wrong-password")
            .await;
    }
    assert_eq!(
        browser
            .log_in_from("192.0.2.99", &html, "carol", "mypass789")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app_with(|_| {}).await;
    assert_claimed_addresses_count_for_the_real_one(&app).await;
}

#[tokio::test]
async fn with_a_proxy_secret_x_forwarded_for_is_believed_only_from_requests_that_carry_it() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")];
        c.trusted_proxy_secret = Some("the-proxys-secret".to_owned());
    })
    .await;
    // A local process connecting straight to the server, each guess "from" another
    // address: without the secret every one counts for its real address, 127.0.0.1.
    assert_claimed_addresses_count_for_the_real_one(&app).await;
    // Through the proxy (the secret sent along), the address it names is believed.
    let (proxied, html) = app.at_login_page().await;
    let request = proxied
        .post_request_from(
            "198.51.100.1",
            "/login",
            &[
                ("request_id", &hidden(&html, "request_id")),
                ("csrf_token", &hidden(&html, "csrf_token")),
                ("username", "carol"),
                ("password", "mypass789"),
            ],
        )
        .header("x-lab-proxy-secret", "the-proxys-secret");
    assert_eq!(
        request.send().await.expect("sent").status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_burst_of_logins_from_one_address_does_not_make_a_login_from_another_time_out() {
    let app = behind_proxy().await;
    let (attacker, html) = app.at_login_page().await;
    let (request_id, csrf) = (hidden(&html, "request_id"), hidden(&html, "csrf_token"));
    let burst: Vec<_> = (0..45)
        .map(|i| {
            attacker
                .post_request_from(
                    "203.0.113.9",
                    "/login",
                    &[
                        ("request_id", &request_id),
                        ("csrf_token", &csrf),
                        ("username", &format!("nobody{i}")),
                        ("password", "junk"),
                    ],
                )
                .send()
        })
        .collect();
    let burst = tokio::spawn(async move {
        join_all(burst)
            .await
            .into_iter()
            .map(|r| r.expect("sent").status())
            .collect::<Vec<_>>()
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (mut bob, html) = app.at_login_page().await;
    let started = std::time::Instant::now();
    let login = bob
        .log_in_from("192.0.2.20", &html, "bob", "secret456")
        .await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "bob logs in");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    let statuses = burst.await.expect("the burst ends");
    assert!(
        statuses.iter().all(|s| *s != StatusCode::REQUEST_TIMEOUT),
        "nothing times out: {statuses:?}"
    );
}

#[tokio::test]
async fn when_the_password_queue_is_full_a_login_is_refused_at_once_with_retry_after() {
    let app = behind_proxy().await;
    let (browser, html) = app.at_login_page().await;
    let (request_id, csrf) = (hidden(&html, "request_id"), hidden(&html, "csrf_token"));
    // One guess from each of 80 addresses: no address is over its limit, but the queue
    // (16 per bcrypt slot) cannot hold them all.
    let flood = (0..80).map(|i| {
        let request = browser.post_request_from(
            &format!("10.0.{}.{}", i / 200, i % 200 + 1),
            "/login",
            &[
                ("request_id", &request_id),
                ("csrf_token", &csrf),
                ("username", "nobody"),
                ("password", "junk"),
            ],
        );
        async move {
            let response = request.send().await.expect("sent");
            (
                response.status(),
                response.headers().contains_key("retry-after"),
            )
        }
    });
    let answers = join_all(flood).await;
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(!refused.is_empty(), "some are refused: {answers:?}");
    assert!(refused.iter().all(|(_, retry_after)| *retry_after));
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == StatusCode::UNAUTHORIZED
                || *status == StatusCode::TOO_MANY_REQUESTS),
        "checked or refused at once, nothing times out: {answers:?}"
    );
}

/// Signs up `username` from `address`; returns the status.
async fn sign_up(app: &TestApp, address: &str, username: &str, password: &str) -> StatusCode {
    let mut browser = app.browser();
    let page = browser.get("/signup").await.text().await.expect("page");
    let request = browser.post_request_from(
        address,
        "/signup",
        &[
            ("csrf_token", &hidden(&page, "csrf_token")),
            ("username", username),
            ("password", password),
        ],
    );
    request.send().await.expect("sent").status()
}

#[tokio::test]
async fn sign_ups_from_one_address_are_limited_to_ten_an_hour() {
    let app = behind_proxy().await;
    for n in 0..10 {
        assert_eq!(
            sign_up(&app, "203.0.113.77", &format!("new{n}"), "long-enough-1").await,
            StatusCode::SEE_OTHER,
            "sign-up {n}"
        );
    }
    assert_eq!(
        sign_up(&app, "203.0.113.77", "new10", "long-enough-1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        sign_up(&app, "192.0.2.1", "new11", "long-enough-1").await,
        StatusCode::SEE_OTHER,
        "another address is not affected"
    );
}

#[tokio::test]
async fn a_password_longer_than_72_bytes_is_refused_at_signup() {
    let app = behind_proxy().await;
    let long = format!("a1{}", "x".repeat(71));
    assert_eq!(
        sign_up(&app, "192.0.2.1", "longpass", &long).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn signup_refuses_a_request_id_that_is_not_a_pending_request_of_this_browser() {
    let app = behind_proxy().await;
    let mut browser = app.browser();
    let page = browser.get("/signup").await.text().await.expect("page");
    let response = browser
        .post(
            "/signup",
            &[
                ("request_id", "x\r\nSet-Cookie: pwn=1"),
                ("csrf_token", &hidden(&page, "csrf_token")),
                ("username", "newbie"),
                ("password", "long-enough-1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn the_sixth_bad_password_within_15_minutes_gets_429_with_retry_after() {
    let app = spawn_app().await;
    let mut browser = app.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    for attempt in 1..=5 {
        let response = browser.log_in(&html, "carol", "wrong-password").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // Even the right password waits: the attacker must not learn it was right.
    let sixth = browser.log_in(&html, "carol", "mypass789").await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = sixth.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert!(sixth.text().await.expect("page").contains("Try again in"));
    // Another username is not affected.
    assert_eq!(
        browser.log_in(&html, "bob", "secret456").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn_app().await;
    for _ in 0..4 {
        let mut browser = app.browser();
        let html = browser
            .authorize(&CodeVerifier::generate(), &[])
            .await
            .text()
            .await
            .expect("page");
        browser.log_in(&html, "carol", "wrong-password").await;
    }
    let mut browser = app.browser();
    let html = browser
        .authorize(&CodeVerifier::generate(), &[])
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(
        browser.log_in(&html, "carol", "mypass789").await.status(),
        StatusCode::SEE_OTHER
    );
    for _ in 0..2 {
        let mut browser = app.browser();
        let html = browser
            .authorize(&CodeVerifier::generate(), &[])
            .await
            .text()
            .await
            .expect("page");
        assert_eq!(
            browser
                .log_in(&html, "carol", "wrong-password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
}
