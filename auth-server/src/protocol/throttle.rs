//! Throttling, against password guessing (RFC 6749 §10.10: the server "MUST prevent
//! attackers from guessing" credentials) and against anonymous traffic growing the database
//! (RFC 7591 §3 lets registration be rate-limited; CWE-770).
//!
//! Each limit is a fixed-window counter in the database, so every replica sees the same
//! count (a per-process limiter would give an attacker N times the limit behind a round-robin
//! balancer). A unit is *taken* atomically, in one statement, before the work it limits:
//! parallel requests cannot all read "4 failures so far" and all go on to bcrypt (the race
//! of a check before and a write after). A login that succeeds gives its units back.
//!
//! Failed logins are counted per (username, client address) and per browser, never per
//! username alone or per address alone: a per-username limit lets anyone lock a known user
//! out with five wrong passwords (OWASP ASVS V2.2.1), and on the lab's own machine every
//! browser, CLI and MCP client comes from 127.0.0.1, so a per-address limit is one limit
//! for everyone (ten made-up usernames locked every user out: `docs/security-review.md`,
//! S3-7). A browser the user has logged in with before (its `lab_browser` cookie) counts
//! its own failures for that user instead of the address's, so failures in the user's name
//! from elsewhere on the machine cannot lock it either (OWASP's "device cookies"). An
//! attacker with many addresses, or many fresh browsers, is slowed to five guesses per
//! username per address per quarter hour, not stopped; that is the trade-off Hydra and
//! node-oidc-provider's examples make too.

use server_kit::db::Db;

use crate::error::Internal;
use crate::store;

/// One limit: at most `max` units per `window_secs` for one key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    /// Names the counter (part of its key); also what the refusal says was exceeded.
    pub what: &'static str,
    pub max: i64,
    pub window_secs: i64,
}

/// Failed logins for one username from one address, in a browser that has not logged in
/// as that user before.
pub(crate) const LOGIN_PER_USER_AND_ADDRESS: Limit = Limit {
    what: "failed logins for this username from your address",
    max: 5,
    window_secs: 15 * 60,
};

/// Failed logins for one username in a browser that has logged in as that user before.
pub(crate) const LOGIN_PER_USER_IN_KNOWN_BROWSER: Limit = Limit {
    what: "failed logins for this username in this browser",
    max: 5,
    window_secs: 15 * 60,
};

/// Failed logins from one browser session at one address, whatever the username (password
/// spraying). Fewer than the password queue holds, so one browser cannot fill it alone
/// (`password.rs`).
pub(crate) const LOGIN_PER_BROWSER: Limit = Limit {
    what: "failed logins from this browser",
    max: 10,
    window_secs: 15 * 60,
};

/// New accounts from one address (each is a row and a bcrypt hash).
pub(crate) const SIGNUP_PER_ADDRESS: Limit = Limit {
    what: "accounts created from your address",
    max: 10,
    window_secs: 60 * 60,
};

/// Clients registered from one address (RFC 7591 §3 open registration).
pub(crate) const REGISTRATION_PER_ADDRESS: Limit = Limit {
    what: "clients registered from your address",
    max: 30,
    window_secs: 60 * 60,
};

/// The counter's key: a hash, so no username or address is stored in the clear.
fn key(limit: &Limit, parts: &[&str]) -> String {
    let mut text = limit.what.to_owned();
    for part in parts {
        text.push('\0');
        text.push_str(part);
    }
    shared::digest::sha256_hex(text.as_bytes())
}

/// Takes one unit of `limit` for `parts`. `None`: within the limit, go on. `Some(secs)`:
/// over it; try again in `secs` seconds.
pub(crate) async fn take(db: &Db, limit: &Limit, parts: &[&str]) -> Result<Option<i64>, Internal> {
    let now = server_kit::unix_now();
    let (count, window_ends) =
        store::take_unit(db, &key(limit, parts), now + limit.window_secs, now).await?;
    Ok((count > limit.max).then(|| (window_ends - now).max(1)))
}

/// Gives back one unit taken for work that turned out legitimate (a login that succeeded).
pub(crate) async fn give_back(db: &Db, limit: &Limit, parts: &[&str]) -> Result<(), Internal> {
    store::give_back_unit(db, &key(limit, parts)).await
}

/// Forgets the count of `parts` (a successful login clears its username's failures).
pub(crate) async fn reset(db: &Db, limit: &Limit, parts: &[&str]) -> Result<(), Internal> {
    store::reset_units(db, &key(limit, parts)).await
}
