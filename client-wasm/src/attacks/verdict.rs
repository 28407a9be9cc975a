//! The verdict on an attack request, read from the real answer: the expected refusal (its
//! status and `error`), a success, an error page instead of a redirect.

use shared::form::{form_decode, param};

use crate::api::Exchange;
use crate::attacks::Verdict;

/// The `error` code of an answer: from a JSON body (RFC 6749 §5.2) or, for a resource
/// server, from `WWW-Authenticate` (RFC 6750 §3).
pub fn error_code(exchange: &Exchange) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(&exchange.response_body)
        .ok()
        .and_then(|body| body["error"].as_str().map(str::to_owned))
        .or_else(|| {
            exchange
                .header("www-authenticate")
                .and_then(challenge_error)
        })
}

/// The `error` parameter of a `WWW-Authenticate: Bearer ...` challenge.
fn challenge_error(challenge: &str) -> Option<String> {
    let start = challenge.find("error=\"")? + "error=\"".len();
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

fn description_of(exchange: &Exchange) -> String {
    serde_json::from_str::<serde_json::Value>(&exchange.response_body)
        .ok()
        .and_then(|body| body["error_description"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The verdict on an attempt that the server must refuse with `status` and `error`.
pub fn expect_refusal(exchange: &Exchange, status: u16, error: &str) -> Verdict {
    let found = error_code(exchange);
    if exchange.status == Some(status) && found.as_deref() == Some(error) {
        Verdict::Stopped(format!("{status} {error}: {}", description_of(exchange)))
    } else {
        Verdict::NotStopped(format!(
            "expected {status} {error}, got {} {}",
            exchange.status_text(),
            found.unwrap_or_default()
        ))
    }
}

/// The verdict on a legitimate step.
pub fn expect_success(exchange: &Exchange) -> Verdict {
    if exchange.ok() {
        Verdict::Done
    } else {
        Verdict::Failed(format!(
            "{} {} {}",
            exchange.status_text(),
            error_code(exchange).unwrap_or_default(),
            description_of(exchange)
        ))
    }
}

/// The verdict on a front-channel answer (the URL the authorization server sent the
/// browser back to) that must carry `error`.
pub fn expect_error_redirect(answer: &str, error: &str) -> Verdict {
    let query = answer.split_once('?').map_or("", |(_, q)| q);
    let params = form_decode(query);
    let get = |name: &str| param(&params, name).map(str::to_owned);
    match (get("error"), get("code")) {
        (Some(found), None) if found == error => Verdict::Stopped(format!(
            "redirected back with {error}: {}; no code",
            get("error_description").unwrap_or_default()
        )),
        (_, Some(_)) => Verdict::NotStopped("the server issued a code".to_owned()),
        (found, None) => Verdict::NotStopped(format!(
            "expected error={error}, got {}",
            found.unwrap_or_else(|| "no error".to_owned())
        )),
    }
}

/// The verdict on an authorization request with a redirect URI that is not registered:
/// an error page (400) and no redirect. With `redirect: manual`, a redirect shows as
/// status 0 (the browser does not let the page see where it went).
pub fn expect_error_page(exchange: &Exchange) -> Verdict {
    match exchange.status {
        Some(400) => Verdict::Stopped(format!(
            "400, an error page, no redirect: {}",
            page_text(&exchange.response_body)
        )),
        Some(0) => Verdict::NotStopped("the server redirected the browser".to_owned()),
        _ => Verdict::NotStopped(format!(
            "expected a 400 error page, got {}",
            exchange.status_text()
        )),
    }
}

/// The text of an HTML page's `<main>` (or the whole page), tags dropped, spaces collapsed.
pub fn page_text(html: &str) -> String {
    let main = html
        .split_once("<main")
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once("</main>"))
        .map_or(html, |(main, _)| main);
    let mut text = String::new();
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // The entities askama writes when it escapes text.
    [
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(text, |text, (entity, c)| text.replace(entity, c))
}
