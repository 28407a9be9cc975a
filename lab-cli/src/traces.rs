//! The servers' decision traces (`--lab-traces`, `server_kit::trace`) from the command
//! line: fetched for each step of `oauth-lab flow`, streamed live by `oauth-lab watch`.

use std::io::Write;
use std::time::Duration;

use shared::trace::{Check, OneLine, TRACE_HEADER, Trace, paint};

/// Where the trace of `response` is kept: `/lab/traces/{id}` on the server that answered,
/// if the response names one.
pub fn trace_url(response: &reqwest::Response) -> Option<String> {
    let id = response.headers().get(TRACE_HEADER)?.to_str().ok()?;
    let origin = response.url().origin().ascii_serialization();
    Some(format!("{origin}/lab/traces/{id}"))
}

/// Sends `request` (a `GET` of a [`trace_url`]); `None` if the server does not have the
/// trace (any more).
pub async fn fetch(request: reqwest::RequestBuilder) -> Option<Trace> {
    let response = request.send().await.ok()?;
    response.error_for_status().ok()?.json().await.ok()
}

/// Writes `checks`, one line each, indented under the step that caused them.
pub fn print_checks(out: &mut impl Write, checks: &[Check], colour: bool) {
    for check in checks {
        let _ = writeln!(
            out,
            "       {} {:<30} {} {}",
            check.outcome.painted(colour),
            OneLine(&check.name),
            OneLine(&check.says),
            paint("2", &format!("({})", OneLine(&check.rule)), colour),
        );
    }
}

/// One decision as `oauth-lab watch` prints it: which server, the request and its status,
/// then its checks.
pub fn print_trace(out: &mut impl Write, trace: &Trace, colour: bool) {
    // Bold cyan for the authorization server, bold magenta for the resource server.
    let code = if trace.server.starts_with("auth") {
        "1;36"
    } else {
        "1;35"
    };
    let server = paint(code, &OneLine(&trace.server).to_string(), colour);
    let _ = writeln!(
        out,
        "{server} {} {} → {}",
        OneLine(&trace.method),
        OneLine(&trace.path),
        trace.status
    );
    print_checks(out, &trace.checks, colour);
}

/// Takes the complete Server-Sent Events out of `buffer` (what has arrived so far) and
/// returns the traces among them; an incomplete event stays in the buffer.
pub fn take_events(buffer: &mut String) -> Vec<Trace> {
    let mut traces = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let event: String = buffer.drain(..end + 2).collect();
        let data: String = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim_start)
            .collect::<Vec<_>>()
            .join("\n");
        if let Ok(trace) = serde_json::from_str(&data) {
            traces.push(trace);
        }
    }
    traces
}

/// Why watching a server stopped.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(
        "{0} records no decisions: start it with --lab-traces (scripts/lab.sh does), then watch again"
    )]
    NotRecording(String),
    #[error("cannot reach {0}: {1}")]
    Unreachable(String, String),
}

/// Streams `GET {base}/lab/events` and hands every trace to `each` until it returns
/// `false` (or the stream ends). A dropped connection is retried every 2 s.
pub async fn watch(
    http: &reqwest::Client,
    base: &str,
    mut each: impl FnMut(Trace) -> bool,
) -> Result<(), WatchError> {
    let url = format!("{}/lab/events", base.trim_end_matches('/'));
    loop {
        let mut response = match http.get(&url).send().await {
            Ok(response) if response.status() == reqwest::StatusCode::NOT_FOUND => {
                return Err(WatchError::NotRecording(base.to_owned()));
            }
            Ok(response) => response,
            Err(error) => return Err(WatchError::Unreachable(base.to_owned(), error.to_string())),
        };
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
            for trace in take_events(&mut buffer) {
                if !each(trace) {
                    return Ok(());
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newline_in_a_servers_check_cannot_forge_a_line_of_oauth_lab_watch() {
        let trace = Trace {
            id: "t".into(),
            server: "authorization server".into(),
            at_ms: 1,
            method: "GET".into(),
            path: "/authorize".into(),
            status: 400,
            checks: vec![Check {
                name: "client".into(),
                outcome: shared::trace::Outcome::Refused,
                says: "No client \"zz\n2026-12-01T09:00:00Z INFO login succeeded\"".into(),
                rule: "RFC 6749 §4.1.2.1".into(),
            }],
        };
        let mut out = Vec::new();
        print_trace(&mut out, &trace, false);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(out.contains("zz\\n2026"), "{out}");
    }

    #[test]
    fn complete_events_are_read_and_a_partial_one_waits_for_the_rest() {
        let trace = r#"{"id":"t","server":"auth-server","at_ms":1,"method":"GET","path":"/","status":200,"checks":[]}"#;
        let mut buffer =
            format!(": keep-alive\n\nevent: trace\ndata: {trace}\n\nevent: trace\ndata: {{\"id\"");
        let traces = take_events(&mut buffer);
        assert_eq!(traces.len(), 1);
        assert_eq!(traces[0].id, "t");
        assert!(buffer.starts_with("event: trace"), "{buffer}");
    }
}
