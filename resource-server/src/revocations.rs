//! Revocation at a resource server that validates JWTs locally (`--validation jwt`): a JWT
//! stays valid by its signature until it expires, so a token revoked at the authorization
//! server (`/revoke`, a refresh token's family, a replayed code's grant) would keep working
//! here. RFC 7009 §2 and RFC 9700 §4.2.4 ask that a revocation reach the resource. This
//! server follows the authorization server's list of revoked access tokens
//! (`POST /lab/revocations`, as the client it introspects with), every
//! `--revocation-poll-ms`, and refuses a token whose `jti` is on it: within about a second
//! of the revocation, on every replica, and again at once after a restart (the list is
//! whole at every call). Between two calls the check is a lookup in memory, so the hot path
//! keeps its speed.
//!
//! The trade-off, for the learner: introspection (`--validation introspect`) sees a
//! revocation at once and costs a request per token (or per cache period); a JWT checked
//! locally costs nothing per request and sees a revocation only as this list reaches it.
//! If the authorization server cannot be reached, the last list stays in force, and the
//! log says so.

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::Duration;

use serde::Deserialize;

/// The `jti`s of the revoked access tokens, as last listed.
#[derive(Debug, Default)]
pub(crate) struct Revocations {
    revoked: RwLock<HashSet<String>>,
}

/// The answer of `POST /lab/revocations`.
#[derive(Debug, Deserialize)]
struct Listed {
    revoked: Vec<Revoked>,
}

#[derive(Debug, Deserialize)]
struct Revoked {
    jti: String,
}

/// Where to ask and as whom.
#[derive(Debug)]
pub(crate) struct Feed {
    pub http: reqwest::Client,
    pub endpoint: String,
    pub client_id: String,
    pub client_secret: String,
    pub every: Duration,
}

impl Revocations {
    /// Whether the token `jti` was revoked.
    pub(crate) fn is_revoked(&self, jti: &str) -> bool {
        self.revoked
            .read()
            .is_ok_and(|revoked| !revoked.is_empty() && revoked.contains(jti))
    }

    /// Reads the list once: before the server answers its first request (so a restarted
    /// server does not accept, even for a moment, a token revoked while it was down).
    pub(crate) async fn read(&self, feed: &Feed) -> Result<(), String> {
        let revoked = fetch(feed).await?;
        if let Ok(mut held) = self.revoked.write() {
            *held = revoked;
        }
        Ok(())
    }

    /// Reads the list every `feed.every`, for as long as the server runs.
    pub(crate) async fn follow(&self, feed: &Feed) {
        let mut failing = false;
        loop {
            tokio::time::sleep(feed.every).await;
            match (self.read(feed).await, failing) {
                (Ok(()), true) => {
                    tracing::info!("the list of revoked tokens is read again");
                    failing = false;
                }
                (Err(why), false) => {
                    tracing::warn!(
                        "cannot read the list of revoked tokens ({why}); the last one stays in force until it can"
                    );
                    failing = true;
                }
                (Ok(()), false) | (Err(_), true) => {}
            }
        }
    }
}

/// The `jti`s the authorization server lists now.
async fn fetch(feed: &Feed) -> Result<HashSet<String>, String> {
    let listed: Listed = feed
        .http
        .post(&feed.endpoint)
        .basic_auth(&feed.client_id, Some(&feed.client_secret))
        .form::<[(&str, &str)]>(&[])
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    Ok(listed.revoked.into_iter().map(|token| token.jti).collect())
}

#[cfg(test)]
mod tests {
    use super::Revocations;

    #[test]
    fn a_listed_jti_is_revoked_and_no_other() {
        let revocations = Revocations::default();
        assert!(!revocations.is_revoked("a"));
        if let Ok(mut held) = revocations.revoked.write() {
            held.insert("a".to_owned());
        }
        assert!(revocations.is_revoked("a"));
        assert!(!revocations.is_revoked("b"));
    }
}
