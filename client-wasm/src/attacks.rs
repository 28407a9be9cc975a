//! The Attacks page's catalogue: twelve attacks OAuth 2.1 stops, each with the rule that
//! stops it, where the rule comes from, and what would happen without it; and the verdict
//! on each attempt, read from the real answer. The page never claims a defence it did not
//! see: an answer other than the expected refusal is shown as "not stopped".

mod codes;
mod front_channel;
mod probe;
pub mod runner;
mod tokens;
pub mod verdict;

use serde::{Deserialize, Serialize};

use crate::config::lane_of;
use crate::timeline::{Detail, Lane, Step};

/// One attack of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Attack {
    StolenCode,
    PkceDowngrade,
    CallbackCsrf,
    CodeReplay,
    RefreshReplay,
    RedirectUri,
    MixUp,
    TamperedToken,
    ForgedAlgorithm,
    WrongAudience,
    ExpiredToken,
    TokenInUrl,
}

/// What an attack needs before the attacker can act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: the attack runs at once.
    Nothing,
    /// A fresh authorization: the page leaves for the authorization server, you log in as
    /// the victim and approve, and the attack goes on at the callback.
    FreshAuthorization,
    /// An access token: the one in memory, or a fresh authorization first.
    AccessToken,
}

/// The text of one attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Description {
    pub title: &'static str,
    /// What the attacker does.
    pub scenario: &'static str,
    /// The rule that stops it.
    pub rule: &'static str,
    /// Where the rule comes from.
    pub spec: &'static str,
    /// What would happen without the rule.
    pub without: &'static str,
}

impl Attack {
    pub const ALL: [Self; 12] = [
        Self::StolenCode,
        Self::PkceDowngrade,
        Self::CallbackCsrf,
        Self::CodeReplay,
        Self::RefreshReplay,
        Self::RedirectUri,
        Self::MixUp,
        Self::TamperedToken,
        Self::ForgedAlgorithm,
        Self::WrongAudience,
        Self::ExpiredToken,
        Self::TokenInUrl,
    ];

    /// Its number in `docs/attacks.md` and on the page.
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|a| *a == self).unwrap_or(0) + 1
    }

    /// A stable name for element ids (`attack-<slug>`, `run-<slug>`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::StolenCode => "stolen-code",
            Self::PkceDowngrade => "pkce-downgrade",
            Self::CallbackCsrf => "callback-csrf",
            Self::CodeReplay => "code-replay",
            Self::RefreshReplay => "refresh-replay",
            Self::RedirectUri => "redirect-uri",
            Self::MixUp => "mix-up",
            Self::TamperedToken => "tampered-token",
            Self::ForgedAlgorithm => "forged-algorithm",
            Self::WrongAudience => "wrong-audience",
            Self::ExpiredToken => "expired-token",
            Self::TokenInUrl => "token-in-url",
        }
    }

    pub fn needs(self) -> Needs {
        match self {
            Self::StolenCode
            | Self::PkceDowngrade
            | Self::CodeReplay
            | Self::RefreshReplay
            | Self::WrongAudience => Needs::FreshAuthorization,
            Self::CallbackCsrf | Self::RedirectUri | Self::MixUp => Needs::Nothing,
            Self::TamperedToken | Self::ForgedAlgorithm | Self::ExpiredToken | Self::TokenInUrl => {
                Needs::AccessToken
            }
        }
    }

    pub fn description(self) -> Description {
        match self {
            Self::StolenCode => Description {
                title: "Stolen authorization code",
                scenario: "The attacker reads the code from the redirect (a malicious app on the same device, a proxy log, the browser history) and redeems it first, without the code_verifier, which never left this tab.",
                rule: "The token endpoint recomputes base64url(SHA-256(code_verifier)) and compares it with the code_challenge stored at /authorize: no verifier, or a wrong one, is invalid_grant.",
                spec: "RFC 7636 §4.6, OAuth 2.1 §4.1.3",
                without: "Whoever holds the code gets the tokens: intercepting one redirect would give the attacker the victim's account.",
            },
            Self::PkceDowngrade => Description {
                title: "PKCE downgrade",
                scenario: "The authorization request asks for code_challenge_method=plain (the challenge is the verifier itself, visible to anyone who sees the request), then for no challenge at all.",
                rule: "Every authorization request needs a code_challenge with method S256; anything else is sent back to the client as invalid_request, and no code is issued.",
                spec: "OAuth 2.1 §4.1.1, RFC 9700 §2.1.1",
                without: "A code issued without S256 can be redeemed by whoever intercepts it; with plain, the secret travels in the front channel next to the code.",
            },
            Self::CallbackCsrf => Description {
                title: "CSRF on the callback",
                scenario: "The attacker makes your browser land on this app's /callback with a code for the attacker's own account and a state this tab never sent.",
                rule: "The client compares state with the one it kept before leaving, and refuses a mismatch before any token request.",
                spec: "RFC 6749 §10.12, RFC 9700 §4.7",
                without: "You would be logged in to the attacker's account without noticing, and whatever you saved there would be theirs.",
            },
            Self::CodeReplay => Description {
                title: "Code replay",
                scenario: "The code is redeemed legitimately; then someone who copied the whole token request presents it again.",
                rule: "A code is single use, enforced atomically. A second redemption is invalid_grant, and the tokens issued from the code are revoked: one of the two redeemers is an attacker, and the server cannot tell which.",
                spec: "OAuth 2.1 §4.1.3, RFC 6749 §4.1.2",
                without: "A leaked code would be a reusable key to the account.",
            },
            Self::RefreshReplay => Description {
                title: "Refresh-token replay",
                scenario: "An attacker copied a refresh token. The victim refreshes first (the token rotates); then the attacker presents the copy.",
                rule: "A public client's refresh token rotates on every use. A rotated token presented again means two parties hold the family, so the server revokes the whole family, the victim's newest token too.",
                spec: "OAuth 2.1 §4.3.1, RFC 9700 §4.14.2",
                without: "A stolen refresh token would mint access tokens for as long as the grant lives (a day here), unnoticed.",
            },
            Self::RedirectUri => Description {
                title: "Redirect-URI manipulation",
                scenario: "The attacker's link goes to the real authorization endpoint, with a redirect_uri they control: an extra path, another port, their own host.",
                rule: "The redirect_uri must equal a registered one exactly (a string comparison). Until it does, errors are shown as a page and the server never redirects.",
                spec: "OAuth 2.1 §2.3.1, RFC 9700 §4.1, §4.11",
                without: "The code would be delivered to the attacker, and the server would be an open redirector for phishing.",
            },
            Self::MixUp => Description {
                title: "Mix-up",
                scenario: "A client that uses several authorization servers is tricked into sending a code to the wrong one. Here a response arrives with the right state, but its iss names another server.",
                rule: "The client checks that iss in the authorization response is the issuer it sent the request to.",
                spec: "RFC 9207 §2.4, RFC 9700 §4.4",
                without: "The client would send the victim's code, and its verifier, to the attacker's token endpoint.",
            },
            Self::TamperedToken => Description {
                title: "Tampered token",
                scenario: "The attacker edits the access token's payload to add the admin scope, keeps the original signature, and calls the admin endpoint.",
                rule: "The resource server verifies the signature against the authorization server's published JWKS before it trusts any claim.",
                spec: "RFC 9068 §4, RFC 7515 §5.2",
                without: "Anyone could give themselves any scope, user or lifetime.",
            },
            Self::ForgedAlgorithm => Description {
                title: "alg: none and HS256 with the public key",
                scenario: "The attacker strips the signature (alg none), then signs the token with HS256 using the server's public key, which anyone can download from the JWKS, as the HMAC secret.",
                rule: "An algorithm allow-list (the asymmetric algorithms of the published keys: EdDSA, ES256, RS256), checked before any key is used; and the token's alg must be the one its key is published for: the algorithm is never taken from the token.",
                spec: "RFC 8725 §2.1, §3.1",
                without: "A verifier that trusts the token's alg header would accept an unsigned token, or one signed with a key everyone has.",
            },
            Self::WrongAudience => Description {
                title: "Wrong audience",
                scenario: "A real, properly signed token, minted for another resource server (http://localhost:8083, asked for with the resource parameter), presented to this one.",
                rule: "The resource server accepts only tokens whose aud names it.",
                spec: "RFC 9068 §4, RFC 8707 §2",
                without: "A token given to one API, maybe a malicious one, could be replayed at every other API of the same authorization server.",
            },
            Self::ExpiredToken => Description {
                title: "Expired token",
                scenario: "A real access token, replayed after its exp plus the 30 s of clock skew the resource server tolerates. The page waits for that moment.",
                rule: "exp is checked on every request; an expired token is invalid_token, saying it expired, so the client knows to refresh.",
                spec: "RFC 9068 §4, RFC 7519 §4.1.4, RFC 6750 §3.1",
                without: "A token leaked once would work forever; short lifetimes are what bound the damage of a leak.",
            },
            Self::TokenInUrl => Description {
                title: "Token in the URL",
                scenario: "The access token is sent in the query string (?access_token=...) instead of the Authorization header.",
                rule: "Bearer tokens are accepted only in the Authorization header; a token in the URL is refused as invalid_request, with the reason.",
                spec: "OAuth 2.1 §5.2, RFC 9700 §4.3",
                without: "The token would land in server and proxy logs, the browser history and Referer headers, readable by anyone who sees them.",
            },
        }
    }
}

/// An attack that left the page (for the authorization endpoint or a forged callback) and
/// goes on at `/callback`; kept in the pending request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackLeg {
    pub attack: Attack,
    /// The front-channel answers of the earlier legs of the same attack (error redirects:
    /// no secret in them), so the cards survive the page leaving again.
    #[serde(default)]
    pub earlier: Vec<String>,
}

impl AttackLeg {
    pub fn first(attack: Attack) -> Self {
        Self {
            attack,
            earlier: Vec::new(),
        }
    }
}

/// Who acts in an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The victim doing what a legitimate client does.
    Victim,
    Attacker,
    /// Looking at the aftermath: is what the attack touched still usable?
    Check,
}

impl Actor {
    pub fn name(self) -> &'static str {
        match self {
            Self::Victim => "Victim",
            Self::Attacker => "Attacker",
            Self::Check => "Check",
        }
    }
}

/// What came of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The expected refusal came; how.
    Stopped(String),
    /// Something else came: the defence was not seen.
    NotStopped(String),
    /// A legitimate step that worked.
    Done,
    /// A legitimate step that failed, so the attack cannot go on.
    Failed(String),
    /// The attempt is scheduled.
    Waiting(String),
}

/// One card of an attack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub attack: Attack,
    pub actor: Actor,
    /// What was done, in a sentence.
    pub action: String,
    /// What was sent and what came back.
    pub detail: Detail,
    pub verdict: Verdict,
}

impl Attempt {
    /// The attempt as a message of the attack's sequence diagram: the page (victim or
    /// attacker) calling a server, or the browser landing on the callback.
    pub fn step(&self) -> Step {
        let actor = self.actor.name();
        let (from, to, trace) = match &self.detail {
            Detail::Http(exchange) => (Lane::Spa, lane_of(&exchange.url), exchange.trace.clone()),
            Detail::Url(_) => (Lane::Browser, Lane::Spa, None),
            Detail::Refused(_) | Detail::Checked(_) => (Lane::Spa, Lane::Spa, None),
        };
        Step {
            title: format!("{actor}: {}", self.action),
            why: self.attack.description().rule,
            rule: self.attack.description().spec,
            detail: self.detail.clone(),
            from,
            to,
            trace,
        }
    }
}
