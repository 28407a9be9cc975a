//! Decision traces: what a server checked while answering one request, in order, each check
//! with its outcome, one plain sentence and the rule it enforces. The servers record them
//! (`server_kit::trace`) when the lab runs with `--lab-traces`; the SPA and `oauth-lab` read
//! them from `GET /lab/traces/{id}` and `GET /lab/events` and show them beside the message.

use serde::{Deserialize, Serialize};

/// The response header that names the trace of the request it answers.
pub const TRACE_HEADER: &str = "x-lab-trace";

/// One request as a server decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// Random, unique per request; the value of [`TRACE_HEADER`].
    pub id: String,
    /// `authorization server` or `resource server`.
    pub server: String,
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub method: String,
    /// The path only: query strings carry codes and states.
    pub path: String,
    pub status: u16,
    /// The checks in the order they ran. A refusal is the last one: nothing runs after it.
    pub checks: Vec<Check>,
}

/// One check of a [`Trace`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// A stable identifier, e.g. `pkce_verifier`.
    pub name: String,
    pub outcome: Outcome,
    /// What was found, in one sentence; secrets appear only by their first characters.
    pub says: String,
    /// The rule the check enforces, e.g. `RFC 7636 §4.6`; see [`rule_link`].
    pub rule: String,
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    /// The request stopped here.
    Refused,
    /// The check does not apply to this request (a parameter that is absent, say).
    NotApplicable,
}

impl Outcome {
    /// ✔, ✘ or –, as the SPA and the consoles draw it.
    pub fn mark(self) -> &'static str {
        match self {
            Self::Passed => "✔",
            Self::Refused => "✘",
            Self::NotApplicable => "–",
        }
    }

    /// The mark as the consoles print it: green ✔, bold red ✘, dim – when `colour`.
    pub fn painted(self, colour: bool) -> String {
        let code = match self {
            Self::Passed => "32",
            Self::Refused => "1;31",
            Self::NotApplicable => "2",
        };
        paint(code, self.mark(), colour)
    }
}

/// `text` in the terminal colour `code` (an ANSI SGR code such as `2`, dim) when `colour`.
pub fn paint(code: &str, text: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// `text` as a console or a log line may show it: control characters (a newline, a
/// carriage return, an escape) and other invisible ones written as escapes (`\n`,
/// `\u{1b}`), so a value someone sent cannot start a line of its own or restyle the
/// console (CWE-117). Every value a server or `oauth-lab` writes to a console goes
/// through it.
#[derive(Debug, Clone, Copy)]
pub struct OneLine<'a>(pub &'a str);

impl std::fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let needs_escape = |c: char| c.is_control() || crate::text::is_invisible(c);
        if !self.0.contains(needs_escape) {
            return f.pad(self.0);
        }
        let mut rest = self.0;
        // Printable text goes out as it is (quotes and backslashes too); only what
        // `char::escape_debug` would escape for being invisible is escaped.
        while let Some(at) = rest.find(needs_escape) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            write!(f, "{}", c.escape_debug())?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

impl Trace {
    /// The check that refused the request, if one did.
    pub fn refused_by(&self) -> Option<&Check> {
        self.checks
            .iter()
            .find(|check| check.outcome == Outcome::Refused)
    }
}

/// Where the first rule named in `rule` is published, e.g. `RFC 7636 §4.6` →
/// `https://www.rfc-editor.org/rfc/rfc7636#section-4.6`; OAuth 2.1 and OIDC drafts link to
/// their current text. `None` for a rule of this lab only.
pub fn rule_link(rule: &str) -> Option<String> {
    let section = |rest: &str| -> Option<String> {
        let rest = rest.trim_start().strip_prefix('§')?;
        let section: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let section = section.trim_end_matches('.');
        (!section.is_empty()).then(|| section.to_owned())
    };
    if let Some(rest) = rule.strip_prefix("RFC ") {
        let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if number.is_empty() {
            return None;
        }
        let base = format!("https://www.rfc-editor.org/rfc/rfc{number}");
        return Some(match section(&rest[number.len()..]) {
            Some(section) => format!("{base}#section-{section}"),
            None => base,
        });
    }
    if let Some(rest) = rule.strip_prefix("OAuth 2.1") {
        let base = "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1";
        return Some(match section(rest) {
            Some(section) => format!("{base}#section-{section}"),
            None => base.to_owned(),
        });
    }
    if let Some(rest) = rule.strip_prefix("OIDC Core") {
        let base = "https://openid.net/specs/openid-connect-core-1_0.html";
        return Some(match section(rest) {
            Some(section) => format!("{base}#section-{section}"),
            None => base.to_owned(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rfc_section_links_to_the_rfc_editor() {
        assert_eq!(
            rule_link("RFC 7636 §4.6").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc7636#section-4.6")
        );
        assert_eq!(
            rule_link("RFC 6749 §4.1.2.1, RFC 9700 §4.11").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1")
        );
        assert_eq!(
            rule_link("RFC 8707").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc8707")
        );
    }

    #[test]
    fn oauth_2_1_and_oidc_sections_link_to_their_drafts() {
        assert_eq!(
            rule_link("OAuth 2.1 §4.1.3").as_deref(),
            Some("https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.3")
        );
        assert_eq!(
            rule_link("OIDC Core §3.1.2.1").as_deref(),
            Some("https://openid.net/specs/openid-connect-core-1_0.html#section-3.1.2.1")
        );
        assert_eq!(rule_link("the lab's own rule"), None);
    }

    #[test]
    fn a_value_written_to_a_console_cannot_start_a_line_of_its_own() {
        let forged = "zz\n2026-12-01T09:00:00Z INFO login succeeded\r\x1b[2J\u{2028}x";
        let line = OneLine(forged).to_string();
        assert!(!line.contains(['\n', '\r', '\x1b', '\u{2028}']), "{line}");
        assert_eq!(
            line,
            "zz\\n2026-12-01T09:00:00Z INFO login succeeded\\r\\u{1b}[2J\\u{2028}x"
        );
        assert_eq!(
            OneLine(r#"No client "é" \ here"#).to_string(),
            r#"No client "é" \ here"#
        );
    }

    #[test]
    fn a_trace_reads_back_from_its_json() {
        let trace = Trace {
            id: "t1".into(),
            server: "authorization server".into(),
            at_ms: 1,
            method: "POST".into(),
            path: "/token".into(),
            status: 400,
            checks: vec![Check {
                name: "pkce_verifier".into(),
                outcome: Outcome::Refused,
                says: "code_verifier does not match".into(),
                rule: "RFC 7636 §4.6".into(),
            }],
        };
        let json = serde_json::to_string(&trace).unwrap();
        assert!(json.contains(r#""outcome":"refused""#));
        let back: Trace = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.refused_by().map(|c| c.name.as_str()),
            Some("pkce_verifier")
        );
    }
}
